/// How a BPR triple's negative item is drawn.
public enum NegativeSampling: Sendable, Hashable, CustomStringConvertible {
  /// One item drawn uniformly from those the user has not interacted with.
  case uniform
  /// Dynamic negative sampling (Zhang et al., SIGIR 2013): `candidates` such uniform draws, of
  /// which the triple keeps the one the model scores highest for the user, the negative that
  /// teaches the most. The scores are those of the model at the start of the epoch.
  case dynamic(candidates: Int)

  /// Parses `uniform` or `dns:N` (N candidates, 2 to 1000).
  public init?(_ text: String) {
    if text == "uniform" {
      self = .uniform
      return
    }
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 2, parts[0] == "dns", let n = Int(parts[1]), (2...1000).contains(n) else { return nil }
    self = .dynamic(candidates: n)
  }

  public var description: String {
    switch self {
    case .uniform: return "uniform"
    case .dynamic(let n): return "dns:\(n)"
    }
  }

  /// Uniform draws per negative.
  public var candidates: Int {
    switch self {
    case .uniform: return 1
    case .dynamic(let n): return n
    }
  }
}
