/// The product every dense layer makes, and its backward, through BLAS.
///
/// Shapes: x (n, k), weight W (k, m), bias b (1, m) or none, out (n, m).
enum Affine {
  /// out = x W + b.
  static func forward(_ x: Matrix, weight: Matrix, bias: Matrix?) -> Matrix {
    precondition(x.cols == weight.rows && (bias == nil || bias!.cols == weight.cols), "affine shapes")
    let (n, k, m) = (x.rows, x.cols, weight.cols)
    var out = Matrix(rows: n, cols: m)
    out.withUnsafeMutablePointer { o in
      if let bias { bias.withUnsafePointer { b in for r in 0..<n { (o + r * m).update(from: b, count: m) } } }
      x.withUnsafePointer { a in
        weight.withUnsafePointer { w in
          BLAS.gemm(m: n, n: m, k: k, a: a, lda: k, b: w, ldb: m, beta: bias == nil ? 0 : 1, c: o, ldc: m)
        }
      }
    }
    return out
  }

  /// Differentiates `forward` (out = x W + b): weight.grad += x^T dout, bias.grad += the
  /// column sums of dout, and dx += dout W^T.
  static func backward(
    _ x: Matrix, _ dout: Matrix, weight: Parameter, bias: Parameter?, addingTo dx: inout Matrix
  ) {
    let (n, k, m) = (x.rows, x.cols, weight.value.cols)
    precondition(dout.rows == n && dout.cols == m && dx.rows == n && dx.cols == k, "affine gradient shapes")
    dout.withUnsafePointer { d in
      x.withUnsafePointer { a in
        weight.grad.withUnsafeMutablePointer { g in
          BLAS.gemm(transposeA: true, m: k, n: m, k: n, a: a, lda: k, b: d, ldb: m, beta: 1, c: g, ldc: m)
        }
      }
      bias?.grad.withUnsafeMutablePointer { g in
        for r in 0..<n { for j in 0..<m { g[j] += d[r * m + j] } }
      }
      weight.value.withUnsafePointer { w in
        dx.withUnsafeMutablePointer { o in
          BLAS.gemm(transposeB: true, m: n, n: k, k: m, a: d, lda: m, b: w, ldb: m, beta: 1, c: o, ldc: k)
        }
      }
    }
  }

  /// `backward` returning dx = dout W^T.
  static func backward(_ x: Matrix, _ dout: Matrix, weight: Parameter, bias: Parameter?) -> Matrix {
    var dx = Matrix(rows: x.rows, cols: x.cols)
    backward(x, dout, weight: weight, bias: bias, addingTo: &dx)
    return dx
  }
}
