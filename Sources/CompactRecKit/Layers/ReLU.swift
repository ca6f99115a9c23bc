/// max(x, 0), element-wise; keeps which inputs were positive for `backward`.
public final class ReLU {
  private var positive: [Bool] = []

  public init() {}

  public func forward(_ x: Matrix) -> Matrix {
    var y = x
    positive = x.storage.map { $0 > 0 }
    for i in 0..<y.storage.count where !positive[i] { y.storage[i] = 0 }
    return y
  }

  /// dx = dy where the input was positive, else 0.
  public func backward(_ dy: Matrix) -> Matrix {
    precondition(dy.storage.count == positive.count, "dy shape differs from the last output")
    var dx = dy
    for i in 0..<dx.storage.count where !positive[i] { dx.storage[i] = 0 }
    return dx
  }
}
