/// The sequence encoder of a `SequentialModel`.
public enum SequentialArchitecture: String, CaseIterable, Sendable {
  case nextitnet, gru4rec, sasrec
}

/// Everything that defines a sequential model and its training run, reproducible from the
/// printed values and the seed.
public struct SequentialConfiguration: Sendable {
  public var architecture: SequentialArchitecture
  /// Embedding and hidden width d.
  public var dim = 64
  /// Positions per training window and per scored history (the last items are kept).
  public var maxLength = 50
  /// Sequences per batch.
  public var batchSize = 128
  public var epochs = 200
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
  public var seed: UInt64 = 42
  /// Validate every this many epochs (0: never; train for `epochs`).
  public var evaluateEvery = 1
  /// Stop after this many validations without improvement.
  public var patience = 5

  public init(architecture: SequentialArchitecture) { self.architecture = architecture }

  /// A freshly initialized model over `items` items.
  public func makeModel(items: Int) -> SequentialModel {
    var g = SeededGenerator(seed: seed)
    let encoder: SequenceEncoder
    switch architecture {
    case .nextitnet: encoder = NextItNet(width: dim, dilations: dilations, generator: &g)
    case .gru4rec: encoder = GRU4Rec(width: dim, layers: gruLayers, dropout: dropout, seed: seed &+ 1, generator: &g)
    case .sasrec:
      encoder = SASRec(
        width: dim, maxLength: maxLength, blocks: blocks, heads: heads, dropout: dropout, seed: seed &+ 1,
        generator: &g)
    }
    return SequentialModel(
      items: items, maxLength: maxLength,
      embedding: Embedding(
        name: "item_embedding", count: items + 1, width: dim, paddingID: Int32(items), generator: &g),
      encoder: encoder, output: SoftmaxCrossEntropy(name: "output", items: items, width: dim, generator: &g),
      configuration: self)
  }
}
