/// max(x, 0), element-wise; keeps which inputs were positive for `backward`.
public final class ReLU {
  private var positive: [Bool] = []

  public init() {}

  /// max(x, 0) elementwise, keeping nothing: inference, which many threads may run at once.
  public func infer(_ x: Matrix) -> Matrix {
    var y = x
    for i in 0..<y.storage.count { y.storage[i] = y.storage[i] > 0 ? y.storage[i] : 0 }  // as forward: NaN -> 0
    return y
  }

  public func forward(_ x: Matrix) -> Matrix {
    let n = x.storage.count
    var y = Matrix(rows: x.rows, cols: x.cols)
    positive = [Bool](unsafeUninitializedCapacity: n) { mask, count in
      x.withUnsafePointer { xp in
        y.withUnsafeMutablePointer { yp in
          for i in 0..<n {
            let keep = xp[i] > 0
            mask[i] = keep
            yp[i] = keep ? xp[i] : 0
          }
        }
      }
      count = n
    }
    return y
  }

  /// dx = dy where the input was positive, else 0.
  public func backward(_ dy: Matrix) -> Matrix {
    precondition(dy.storage.count == positive.count, "dy shape differs from the last output")
    var dx = Matrix(rows: dy.rows, cols: dy.cols)
    dy.withUnsafePointer { dyp in
      dx.withUnsafeMutablePointer { dxp in
        positive.withUnsafeBufferPointer { mask in
          for i in 0..<mask.count { dxp[i] = mask[i] ? dyp[i] : 0 }
        }
      }
    }
    return dx
  }
}
