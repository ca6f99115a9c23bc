/// The deployable form of a trained LightGCN: only its final (propagated) user and item
/// embeddings, scored by dot product like MF (and searched with `FloatSearchIndex`). The graph
/// and the layer-0 embeddings are training state and stay out of the model file.
public final class LightGCNEmbeddings: Recommender {
  /// Dot-product scorer over the final embeddings.
  public let scorer: MatrixFactorization
  /// Propagation layers the embeddings went through (recorded for `inspect`).
  public let layers: Int

  public init(scorer: MatrixFactorization, layers: Int) {
    self.scorer = scorer
    self.layers = layers
  }

  public var itemCount: Int { scorer.itemCount }

  public func score(_ queries: ArraySlice<ScoringQuery>, into scores: UnsafeMutablePointer<Float>) {
    scorer.score(queries, into: scores)
  }

  public func search(_ queries: [ScoringQuery], k: Int) -> SearchResult { scorer.search(queries, k: k) }
}

extension LightGCNEmbeddings: PersistableModel {
  public static let kind = "lightgcn"

  public var hyperParameters: [String: JSONValue] {
    ["dim": .number(Double(scorer.dim)), "layers": .number(Double(layers))]
  }

  public func tensors() -> [Tensor] { scorer.tensors() }

  public convenience init(file: ModelFile) throws {
    try file.requireKind(Self.kind)
    let layers = file.hyperParameters["layers"]?.intValue ?? 0
    var asMF = file
    asMF.kind = MatrixFactorization.kind
    self.init(scorer: try MatrixFactorization(file: asMF), layers: layers)
  }
}

extension LightGCN {
  /// The final embeddings as a deployable model: float embeddings (`LightGCNEmbeddings`), or
  /// for a quantization-aware model their codes only (`QuantizedEmbeddings`), with 8-bit steps
  /// when the quantization settings ask for them, or `MixedWidthEmbeddings` with width blocks.
  public func deployable() -> any PersistableModel {
    propagate()
    if let mixedCodes {
      return MixedWidthEmbeddings(
        users: mixedCodes.users, items: mixedCodes.items, layers: layers, stepBits: quantization?.settings.stepBits)
    }
    if let codes {
      return QuantizedEmbeddings(
        users: codes.users, items: codes.items, layers: layers, stepBits: quantization?.settings.stepBits)
    }
    return LightGCNEmbeddings(scorer: output, layers: layers)
  }
}
