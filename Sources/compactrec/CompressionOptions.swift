import ArgumentParser
import CompactRecKit

/// CpRec's options for sequential models: block-wise adaptive layers and layer sharing.
struct CompressionOptions: ParsableArguments {
  @Option(help: "Sequential models: CpRec block-wise adaptive layers at the input, the output (softmax), both or none.")
  var blockwise: BlockwiseLayers = .none

  @Option(
    name: .customLong("block-cutoffs"),
    help:
      "With --blockwise: frequency ranks where blocks end, comma separated (e.g. 2000,6000 for three blocks); default: by --block-shares."
  )
  var blockCutoffs: String?

  @Option(
    name: .customLong("block-shares"),
    help: "With --blockwise: shares of the training interactions per block, head first, comma separated.")
  var blockShares: String = FrequencyBlocks.defaultShares.map { String($0) }.joined(separator: ",")

  @Option(name: .customLong("block-factor"), help: "With --blockwise: block b is dim / factor^b wide (at least 1).")
  var blockFactor: Int = 4

  @Option(
    help:
      "Sequential models: CpRec parameter sharing in the middle network (nextitnet, sasrec): none, cross-layer, cross-block, adjacent-layer, adjacent-block."
  )
  var sharing: LayerSharing = .none

  func validate() throws {
    guard blockFactor >= 1 else { throw ValidationError("--block-factor must be at least 1") }
    if let blockCutoffs, parseList(blockCutoffs, as: Int.self) == nil {
      throw ValidationError("--block-cutoffs must be integers, comma separated (got \(blockCutoffs))")
    }
    guard let shares = parseList(blockShares, as: Double.self), shares.allSatisfy({ $0 > 0 }) else {
      throw ValidationError("--block-shares must be positive numbers, comma separated (got \(blockShares))")
    }
  }

  /// Copies the options into `c` (`c.problem` says whether they fit its architecture).
  func apply(to c: inout SequentialConfiguration) {
    c.blockwise = blockwise
    c.blockCutoffs = blockCutoffs.flatMap { parseList($0, as: Int.self) }
    c.blockShares = parseList(blockShares, as: Double.self) ?? c.blockShares
    c.blockFactor = blockFactor
    c.sharing = sharing
  }

  /// The settings as printed with a training run.
  var summary: [String: JSONValue] {
    var out: [String: JSONValue] = ["blockwise": .string(blockwise.rawValue), "sharing": .string(sharing.rawValue)]
    if blockwise != .none {
      out["block_factor"] = .number(Double(blockFactor))
      if let blockCutoffs {
        out["block_cutoffs"] = .string(blockCutoffs)
      } else {
        out["block_shares"] = .string(blockShares)
      }
    }
    return out
  }
}

/// Trains a sequential model, with settings that do not fit and block cuts that do not fit
/// the data reported as command-line errors.
func trainSequential(
  on dataset: Dataset, configuration c: SequentialConfiguration, observer: TrainingObserver?
) throws -> SequentialModel {
  if let problem = c.problem { throw ValidationError("these sequential model settings do not fit: \(problem)") }
  do {
    return try SequentialModel.train(on: dataset, configuration: c, observer: observer)
  } catch {
    throw ValidationError("\(error)")
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
