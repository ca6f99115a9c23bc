import ArgumentParser
import CompactRecKit

/// CpRec's options for sequential models: block-wise adaptive layers and layer sharing.
struct CompressionOptions: ParsableArguments {
  @Option(
    help:
      "Sequential models: CpRec block-wise adaptive layers at the input, the output (softmax), both or none (the default)."
  )
  var blockwise: BlockwiseLayers?

  @Option(
    name: .customLong("block-cutoffs"),
    help:
      "With --blockwise, or lightgcn with --block-bits: item frequency ranks where blocks end, comma separated (e.g. 2000,6000 for three blocks; users are cut at the same fractions); default: by --block-shares."
  )
  var blockCutoffs: String?

  @Option(
    name: .customLong("block-shares"),
    help:
      "With --blockwise, or lightgcn with --block-bits: shares of the training interactions per block, head first, comma separated (default 0.5,0.3,0.2; lightgcn with other than three widths: equal shares)."
  )
  var blockShares: String?

  @Option(
    name: .customLong("block-factor"), help: "With --blockwise: block b is dim / factor^b wide, at least 1 (default 4)."
  )
  var blockFactor: Int?

  @Option(
    help:
      "NextItNet and SASRec: CpRec parameter sharing in the middle network: none (the default), cross-layer, cross-block, adjacent-layer, adjacent-block."
  )
  var sharing: LayerSharing?

  func validate() throws {
    if let blockFactor, !SettingLimits.blockFactor.contains(blockFactor) {
      throw ValidationError(
        "--block-factor must be between 1 and \(SettingLimits.blockFactor.upperBound) (got \(blockFactor))")
    }
    if let blockCutoffs, !(parseList(blockCutoffs, as: Int.self)?.allSatisfy({ $0 > 0 }) ?? false) {
      throw ValidationError("--block-cutoffs must be positive integers, comma separated (got \(blockCutoffs))")
    }
    if let blockShares,
      !(parseList(blockShares, as: Double.self)?.allSatisfy({ $0.isFinite && $0 > 0 }) ?? false)
    {
      throw ValidationError("--block-shares must be positive numbers, comma separated (got \(blockShares))")
    }
  }

  /// Refuses the block settings without `--blockwise` input, output or both, unless
  /// `widthBlocks` (LightGCN with --block-bits, whose blocks they cut too); for LightGCN
  /// (`graph`) they need --block-bits.
  func check(widthBlocks: Bool = false, graph: Bool = false) throws {
    if widthBlocks {
      if let blockFactor { throw ValidationError("--block-factor \(blockFactor) applies only with --blockwise") }
      if blockCutoffs != nil && blockShares != nil {
        throw ValidationError("--block-cutoffs and --block-shares both cut the blocks: give one")
      }
      return
    }
    guard (blockwise ?? BlockwiseLayers.none) == BlockwiseLayers.none else { return }
    let needed = graph ? "--block-bits" : "--blockwise input, output or both"
    for (option, given) in [
      ("--block-cutoffs", blockCutoffs != nil), ("--block-shares", blockShares != nil),
      ("--block-factor", blockFactor != nil),
    ] where given {
      throw ValidationError("\(option) applies only with \(needed)")
    }
  }

  /// The width blocks of a LightGCN with `--block-bits` `widths`.
  func widthBlocks(_ widths: [Int]) -> WidthBlocks {
    WidthBlocks(
      bits: widths, shares: blockShares.flatMap { parseList($0, as: Double.self) },
      cutoffs: blockCutoffs.flatMap { parseList($0, as: Int.self) })
  }

  /// Copies the options into `c` (`c.problem` says whether they fit its architecture).
  func apply(to c: inout SequentialConfiguration) {
    c.blockwise = blockwise ?? c.blockwise
    c.blockCutoffs = blockCutoffs.flatMap { parseList($0, as: Int.self) }
    c.blockShares = blockShares.flatMap { parseList($0, as: Double.self) } ?? c.blockShares
    c.blockFactor = blockFactor ?? c.blockFactor
    c.sharing = sharing ?? c.sharing
  }

  /// The settings as printed with a training run.
  var summary: [String: JSONValue] {
    var c = SequentialConfiguration(architecture: .nextitnet)
    apply(to: &c)
    var out: [String: JSONValue] = ["blockwise": .string(c.blockwise.rawValue), "sharing": .string(c.sharing.rawValue)]
    if c.blockwise != .none {
      out["block_factor"] = .number(Double(c.blockFactor))
      if let blockCutoffs {
        out["block_cutoffs"] = .string(blockCutoffs)
      } else {
        out["block_shares"] = .string(c.blockShares.map { String($0) }.joined(separator: ","))
      }
    }
    return out
  }
}

/// Comma-separated values, or nil when one does not parse or the list is empty.
private func parseList<T: LosslessStringConvertible>(_ text: String, as: T.Type) -> [T]? {
  let parts = text.split(separator: ",", omittingEmptySubsequences: false).map {
    T(String($0.trimmingCharacters(in: .whitespaces)))
  }
  guard !parts.isEmpty, !parts.contains(where: { $0 == nil }) else { return nil }
  return parts.map { $0! }
}

extension BlockwiseLayers: ExpressibleByArgument {}
extension LayerSharing: ExpressibleByArgument {}
