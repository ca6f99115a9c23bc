/// The loss a graph model (LightGCN) trains its final embeddings with.
public enum GraphLoss: Sendable, Hashable, CustomStringConvertible {
  /// Bayesian personalized ranking (Rendle et al., UAI 2009), the LightGCN paper's loss:
  /// softplus(-<f_u, f_i - f_j>) per (user, positive, negative) triple, scored by dot product.
  case bpr
  /// Sampled softmax over cosine similarities (Wu et al., "On the Effectiveness of Sampled
  /// Softmax Loss for Item Recommendation", TOIS 2023): each (user, positive) pair against
  /// `negatives` uniformly drawn items that the whole batch shares, with logits cos / `temperature`.
  /// Every pair sees many negatives per step instead of one. The model then ranks by cosine:
  /// its final item embeddings are stored at unit length.
  case softmax(negatives: Int, temperature: Float)

  /// Whether the final item embeddings are scored at unit length (cosine ranking).
  public var ranksByCosine: Bool {
    if case .softmax = self { return true }
    return false
  }

  /// Parses `bpr` or `softmax:N:T` (N shared negatives, 1 to 65,536; temperature T in (0, 10]).
  public init?(_ text: String) {
    if text == "bpr" {
      self = .bpr
      return
    }
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 3, parts[0] == "softmax", let n = Int(parts[1]), (1...65536).contains(n),
      let t = Float(parts[2]), t > 0, t <= 10
    else { return nil }
    self = .softmax(negatives: n, temperature: t)
  }

  public var description: String {
    switch self {
    case .bpr: return "bpr"
    case .softmax(let n, let t): return "softmax:\(n):\(t)"
    }
  }
}

extension GraphLoss: Codable {
  /// Written as its text (`bpr`, `softmax:256:0.1`), the form `init?(_:)` reads.
  public init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    let text = try container.decode(String.self)
    guard let value = GraphLoss(text) else {
      throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a graph loss: \(text)")
    }
    self = value
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}
