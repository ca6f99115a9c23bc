/// Row selection and placement for layers that route rows: gather, scatter, scatter-add and
/// a contiguous range. Row indices are Int32 like item ids. O(rows * cols).
extension Matrix {
  /// The given rows, in order, as a new (rows.count, cols) matrix.
  func gathering(_ rows: [Int32]) -> Matrix {
    let d = cols
    var out = Matrix(rows: rows.count, cols: d)
    withUnsafePointer { src in
      out.withUnsafeMutablePointer { dst in
        for (k, r) in rows.enumerated() { (dst + k * d).update(from: src + Int(r) * d, count: d) }
      }
    }
    return out
  }

  /// Row k of `m` into row `positions[k]`.
  mutating func scatter(_ m: Matrix, to positions: [Int32]) {
    precondition(m.cols == cols && m.rows == positions.count, "scatter shapes")
    let d = cols
    m.withUnsafePointer { src in
      withUnsafeMutablePointer { dst in
        for (k, r) in positions.enumerated() { (dst + Int(r) * d).update(from: src + k * d, count: d) }
      }
    }
  }

  /// Adds row k of `m` to row `rows[k]` (rows may repeat).
  mutating func scatterAdd(_ m: Matrix, to rows: [Int32]) {
    precondition(m.cols == cols && m.rows == rows.count, "scatter shapes")
    let d = cols
    m.withUnsafePointer { src in
      withUnsafeMutablePointer { dst in
        for (k, r) in rows.enumerated() {
          let row = dst + Int(r) * d
          for c in 0..<d { row[c] += src[k * d + c] }
        }
      }
    }
  }

  /// Rows `range` as a new matrix.
  func rows(_ range: Range<Int>) -> Matrix {
    let d = cols
    var out = Matrix(rows: range.count, cols: d)
    withUnsafePointer { src in
      out.withUnsafeMutablePointer { $0.update(from: src + range.lowerBound * d, count: range.count * d) }
    }
    return out
  }

  /// Every row scaled to unit length (a zero row stays zero).
  func unitRows() -> Matrix {
    var out = self
    let d = cols
    out.withUnsafeMutablePointer { p in
      for r in 0..<rows {
        let row = p + r * d
        var sum: Float = 0
        for c in 0..<d { sum += row[c] * row[c] }
        guard sum > 0 else { continue }
        let scale = 1 / sum.squareRoot()
        for c in 0..<d { row[c] *= scale }
      }
    }
    return out
  }
}
