/// Inverted dropout: in training, each element is zeroed with probability `rate` and the rest
/// scaled by 1 / (1 - rate), so inference is the identity. The mask comes from a seeded
/// generator, so a run is reproducible.
public final class Dropout {
  public let rate: Float
  /// When false, `forward` is the identity.
  public var training = true
  /// The mask's generator; a checkpoint saves and restores its state.
  var generator: SeededGenerator
  private var mask: [Float] = []

  public init(rate: Float, seed: UInt64) {
    precondition(rate >= 0 && rate < 1, "dropout rate must be in [0, 1)")
    self.rate = rate
    generator = SeededGenerator(seed: seed)
  }

  public func forward(_ x: Matrix) -> Matrix {
    guard training && rate > 0 else {
      mask = []
      return x
    }
    let keep = 1 / (1 - rate)
    mask = (0..<x.storage.count).map { _ in generator.unitFloat() < rate ? 0 : keep }
    var y = x
    for i in 0..<y.storage.count { y.storage[i] *= mask[i] }
    return y
  }

  /// dx = dy times the last forward's mask (dy itself when the forward was the identity).
  public func backward(_ dy: Matrix) -> Matrix {
    if mask.isEmpty { return dy }
    precondition(dy.storage.count == mask.count, "dy shape differs from the last output")
    var dx = dy
    for i in 0..<dx.storage.count { dx.storage[i] *= mask[i] }
    return dx
  }
}
