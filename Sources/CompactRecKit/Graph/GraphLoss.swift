/// The loss a graph model (LightGCN) trains its final embeddings with.
public enum GraphLoss: Sendable, Hashable, CustomStringConvertible {
  /// Bayesian personalized ranking (Rendle et al., UAI 2009), the LightGCN paper's loss:
  /// softplus(-<f_u, f_i - f_j>) per (user, positive, negative) triple, scored by dot product.
  case bpr
  /// Sampled softmax (Wu et al., "On the Effectiveness of Sampled Softmax Loss for Item
  /// Recommendation", TOIS 2023): each (user, positive) pair against `negatives` uniformly
  /// drawn items that the whole batch shares, with logits similarity / `temperature`. Every
  /// pair sees many negatives per step instead of one. With `cosine` the similarity is the
  /// cosine, as in the paper, and the model ranks by cosine (its final embeddings are stored
  /// at unit length); otherwise it is the dot product, as BPR's, whose lengths keep item
  /// popularity.
  case softmax(negatives: Int, temperature: Float, cosine: Bool = true)

  /// Whether the final embeddings are scored at unit length (cosine ranking).
  public var ranksByCosine: Bool {
    if case .softmax(_, _, true) = self { return true }
    return false
  }

  /// Bytes of scratch a training step needs beyond BPR's, for batches of `batchSize` pairs at
  /// width `dim` (see `SampledSoftmax`).
  public func scratchBytes(batchSize: Int, dim: Int) -> Double {
    guard case .softmax(let negatives, _, _) = self else { return 0 }
    // Per pair: its user and positive rows and the user's gradient, two norms, the positive's
    // similarity and weight, the loss. Per shared negative: its row, gradient and norm.
    let pairs = batchSize * (3 * dim + 5)
    let shared = negatives * (2 * dim + 1) + SampledSoftmax.chunk * (negatives + 1)
    return 4 * Double(pairs + shared)
  }

  /// Parses `bpr`, `softmax:N:T` (N shared negatives, 1 to 65,536; temperature T in (0, 10];
  /// cosine) or `softmax:N:T:dot` (dot product).
  public init?(_ text: String) {
    if text == "bpr" {
      self = .bpr
      return
    }
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard (3...4).contains(parts.count), parts[0] == "softmax", let n = Int(parts[1]), (1...65536).contains(n),
      let t = Float(parts[2]), t > 0, t <= 10, parts.count == 3 || parts[3] == "dot"
    else { return nil }
    self = .softmax(negatives: n, temperature: t, cosine: parts.count == 3)
  }

  public var description: String {
    switch self {
    case .bpr: return "bpr"
    case .softmax(let n, let t, let cosine): return "softmax:\(n):\(t)" + (cosine ? "" : ":dot")
    }
  }
}

extension GraphLoss: TextCodable {}
