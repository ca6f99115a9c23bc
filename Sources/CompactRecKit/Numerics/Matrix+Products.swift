extension Matrix {
  /// self B^T: (rows, cols) times (other.rows, cols)^T = (rows, other.rows), through BLAS.
  /// Precondition: the widths agree. O(rows x other.rows x cols).
  public func multiplied(byTransposeOf other: Matrix) -> Matrix {
    precondition(cols == other.cols, "widths \(cols) and \(other.cols) differ")
    var out = Matrix(rows: rows, cols: other.rows)
    withUnsafePointer { a in
      other.withUnsafePointer { b in
        out.withUnsafeMutablePointer { c in
          BLAS.gemm(
            transposeB: true, m: rows, n: other.rows, k: cols, a: a, lda: cols, b: b, ldb: cols, c: c, ldc: other.rows)
        }
      }
    }
    return out
  }

  /// This matrix with `other`'s columns appended to each row: (rows, cols + other.cols).
  /// Precondition: the same number of rows. O(rows x (cols + other.cols)).
  public func appendingColumns(_ other: Matrix) -> Matrix {
    precondition(rows == other.rows, "row counts \(rows) and \(other.rows) differ")
    var out = Matrix(rows: rows, cols: cols + other.cols)
    for r in 0..<rows {
      for c in 0..<cols { out[r, c] = self[r, c] }
      for c in 0..<other.cols { out[r, cols + c] = other[r, c] }
    }
    return out
  }
}
