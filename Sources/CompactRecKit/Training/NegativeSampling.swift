/// How a BPR triple's negative item is drawn.
public enum NegativeSampling: Sendable, Hashable, CustomStringConvertible {
  /// One item drawn uniformly from those the user has not interacted with.
  case uniform
  /// Dynamic negative sampling (Zhang et al., SIGIR 2013): `candidates` such uniform draws, of
  /// which the triple keeps the one the model scores highest for the user, the negative that
  /// teaches the most. The scores are those of the model at the start of the epoch. With
  /// `epochs`, only the first that many epochs draw this way and the rest uniformly: hard
  /// negatives speed the start but, kept on, settle lower than uniform ones.
  case dynamic(candidates: Int, epochs: Int?)
  /// One item drawn with probability proportional to its training popularity plus one (its
  /// training users, plus one so that every item can be drawn) raised to `exponent`, among
  /// those the user has not interacted with:
  /// with a positive exponent, popular items, which uniform draws rarely pick, become negatives
  /// more often (word2vec draws its negatives with exponent 0.75); with a negative one, less
  /// often.
  case popularity(exponent: Double)

  /// Parses `uniform`, `dns:N` (N candidates, 2 to 1000), `dns:N:E` (for the first E epochs)
  /// or `pop:A` (popularity to the power A, A != 0 and -2 <= A <= 2).
  public init?(_ text: String) {
    if text == "uniform" {
      self = .uniform
      return
    }
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    if parts.count == 2, parts[0] == "pop" {
      guard let a = Double(parts[1]), a != 0, abs(a) <= 2 else { return nil }
      self = .popularity(exponent: a)
      return
    }
    guard (2...3).contains(parts.count), parts[0] == "dns", let n = Int(parts[1]), (2...1000).contains(n) else {
      return nil
    }
    guard parts.count == 3 else {
      self = .dynamic(candidates: n, epochs: nil)
      return
    }
    guard let e = Int(parts[2]), e >= 1 else { return nil }
    self = .dynamic(candidates: n, epochs: e)
  }

  public var description: String {
    switch self {
    case .uniform: return "uniform"
    case .dynamic(let n, nil): return "dns:\(n)"
    case .dynamic(let n, let e?): return "dns:\(n):\(e)"
    case .popularity(let a): return "pop:\(a)"
    }
  }

  /// Uniform draws per negative in `epoch` (1-based): 1 when it draws uniformly.
  public func candidates(inEpoch epoch: Int) -> Int {
    switch self {
    case .uniform, .popularity: return 1
    case .dynamic(let n, let e): return e.map { epoch <= $0 } ?? true ? n : 1
    }
  }
}

extension NegativeSampling: TextCodable {}
