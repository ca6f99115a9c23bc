/// The sequence encoder of a `SequentialModel`.
public enum SequentialArchitecture: String, CaseIterable, Codable, Sendable {
  case nextitnet, gru4rec, sasrec
}

/// The training objective of a sequential model.
public enum SequentialLoss: String, CaseIterable, Codable, Sendable {
  /// Cross-entropy of the softmax over every item (or the adaptive softmax).
  case softmax
  /// SASRec's binary cross-entropy of the target against one sampled negative per position.
  case bce
}

/// Which ends of a sequential model use CpRec's block-wise adaptive layers.
public enum BlockwiseLayers: String, CaseIterable, Codable, Sendable {
  case none, input, output, both

  var input: Bool { self == .input || self == .both }
  var output: Bool { self == .output || self == .both }
}

/// Everything that defines a sequential model and its training run, reproducible from the
/// printed values and the seed. `Codable`, so a checkpoint records it whole.
public struct SequentialConfiguration: Codable, Sendable {
  public var architecture: SequentialArchitecture
  /// Embedding and hidden width d.
  public var dim = 64
  /// Positions per training window and per scored history (the last items are kept).
  public var maxLength = 50
  /// Sequences per batch.
  public var batchSize = 128
  public var epochs = 400
  public var learningRate: Float = 1e-3
  /// Decoupled (AdamW) weight decay.
  public var weightDecay: Float = 0
  /// Global gradient-norm limit, or nil for none.
  public var clipNorm: Float? = 5
  /// Dropout rate (GRU4Rec input, SASRec embeddings and blocks; NextItNet has none).
  public var dropout: Float = 0.2
  /// NextItNet: the dilation r of each residual block.
  public var dilations = NextItNet.defaultDilations
  /// SASRec: transformer blocks and attention heads.
  public var blocks = 2
  public var heads = 1
  /// GRU4Rec: stacked GRU layers.
  public var gruLayers = 1
  /// The training objective.
  public var loss = SequentialLoss.softmax
  /// The output softmax reuses the input embedding table as its weights (as SASRec does),
  /// keeping its own bias; only without block-wise layers.
  public var tiedOutput = false
  /// CpRec: block-wise adaptive input embedding and/or softmax.
  public var blockwise = BlockwiseLayers.none
  /// Block cut as end ranks of every block but the last (e.g. [2000, 6000]); nil: by
  /// `blockShares`.
  public var blockCutoffs: [Int]?
  /// Block cut as shares of the training interactions, head first.
  public var blockShares = FrequencyBlocks.defaultShares
  /// Block b's width is dim / blockFactor^b (at least 1).
  public var blockFactor = 4
  /// CpRec: parameter sharing across the middle network's layers (NextItNet, SASRec).
  public var sharing = LayerSharing.none
  /// Quantization-aware training of the item tables (`SequentialModel.itemTables`) to
  /// `bits` bits, with the straight-through estimator or GSTE at a fixed delta; nil trains
  /// them in full precision. The middle network stays float.
  public var quantization: QuantizationSettings? = nil
  /// With `quantization` and block-wise layers: the bits of each frequency block's item tables,
  /// head first (for instance [8, 4, 2]: frequent items keep more); nil gives every table
  /// `quantization.bits`, which full (not block-wise) tables keep.
  public var blockBits: [Int]? = nil
  public var seed: UInt64 = 2020
  /// Validate every this many epochs (0: never; train for `epochs`). Validation needs the
  /// data's validation items (see `ModelRecipe`).
  public var evaluateEvery = 5
  /// Stop after this many validations without improvement.
  public var patience = 5

  public init(architecture: SequentialArchitecture) { self.architecture = architecture }

  /// Settings that no model can be built from, in words a user can act on; nil when fine.
  public var problem: String? {
    if sharing != .none && architecture == .gru4rec { return "parameter sharing applies to nextitnet and sasrec" }
    if blockFactor < 1 { return "the block factor must be at least 1" }
    if loss == .bce && blockwise.output { return "the bce loss needs a full (not block-wise) output layer" }
    if tiedOutput && blockwise != .none { return "a tied output needs full (not block-wise) input and output layers" }
    if let blockBits {
      let blocks = blockCutoffs.map { $0.count + 1 } ?? blockShares.count
      if quantization == nil || blockwise == .none {
        return "per-block bit widths need quantization and block-wise layers"
      }
      if blockBits.count != blocks { return "give one bit width per frequency block (\(blocks), head first)" }
      if !blockBits.allSatisfy(RowQuantizer.supportedBits.contains) { return "bit widths must be 1, 2, 3, 4 or 8" }
    }
    if case .gste(_, _)? = quantization?.estimator {
      return "the Hessian-aware estimator applies to LightGCN; sequential models take ste or gste with a fixed delta"
    }
    return nil
  }

  /// The frequency blocks of the block-wise layers for items with these training counts:
  /// cut at `blockCutoffs`, or by `blockShares`.
  public func frequencyBlocks(counts: [Int]) throws(FrequencyBlocksError) -> FrequencyBlocks {
    if let blockCutoffs { return try FrequencyBlocks(counts: counts, cutoffs: blockCutoffs) }
    return try FrequencyBlocks(counts: counts, shares: blockShares)
  }

  /// A freshly initialized model over `items` items; `blocks` (over the same items) is
  /// required when `blockwise` is not `.none`.
  public func makeModel(items: Int, blocks: FrequencyBlocks? = nil) -> SequentialModel {
    precondition(problem == nil, problem ?? "")
    precondition(blockwise == .none || blocks?.itemCount == items, "block-wise layers need blocks over the items")
    var g = SeededGenerator(seed: seed)
    let encoder: SequenceEncoder
    switch architecture {
    case .nextitnet: encoder = NextItNet(width: dim, dilations: dilations, sharing: sharing, generator: &g)
    case .gru4rec: encoder = GRU4Rec(width: dim, layers: gruLayers, dropout: dropout, seed: seed &+ 1, generator: &g)
    case .sasrec:
      encoder = SASRec(
        width: dim, maxLength: maxLength, blocks: self.blocks, heads: heads, dropout: dropout, sharing: sharing,
        seed: seed &+ 1, generator: &g)
    }
    // A tied table has no padding row: the padding id (= items) lies just past it and reads
    // as zeros all the same.
    let input: ItemInput =
      blockwise.input
      ? BlockwiseEmbedding(name: "item_embedding", blocks: blocks!, width: dim, factor: blockFactor, generator: &g)
      : Embedding(
        name: "item_embedding", count: tiedOutput ? items : items + 1, width: dim, paddingID: Int32(items),
        generator: &g)
    let output: ItemOutput
    if blockwise.output {
      output = AdaptiveSoftmax(name: "output", blocks: blocks!, width: dim, factor: blockFactor, generator: &g)
    } else if tiedOutput, let table = (input as? Embedding)?.table {
      output = SoftmaxCrossEntropy(
        weight: table, bias: Parameter(name: "output.bias", value: Matrix(rows: 1, cols: items)))
    } else {
      output = SoftmaxCrossEntropy(name: "output", items: items, width: dim, generator: &g)
    }
    return SequentialModel(
      items: items, maxLength: maxLength, input: input, encoder: encoder, output: output, configuration: self,
      blocks: blockwise == .none ? nil : blocks)
  }
}
