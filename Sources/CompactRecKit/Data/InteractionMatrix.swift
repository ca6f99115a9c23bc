/// A sparse 0/1 matrix in compressed sparse row (CSR) form: rows are users (or nodes),
/// columns are items. Columns within a row are sorted and unique.
public struct InteractionMatrix: Sendable, Equatable {
  /// Number of rows.
  public let rowCount: Int
  /// Number of columns.
  public let columnCount: Int
  /// `rowOffsets[r]..<rowOffsets[r + 1]` indexes row `r` in `columns`; `rowCount + 1` entries.
  public let rowOffsets: [Int]
  /// Column indices of the non-zeros, row after row.
  public let columns: [Int32]

  /// Builds the matrix from per-row column lists (duplicates removed, columns sorted).
  /// Precondition: every column is in `0..<columnCount`.
  public init(rows: [[Int32]], columnCount: Int) {
    self.rowCount = rows.count
    self.columnCount = columnCount
    var offsets = [Int](repeating: 0, count: rows.count + 1)
    var cols: [Int32] = []
    cols.reserveCapacity(rows.reduce(0) { $0 + $1.count })
    for (r, row) in rows.enumerated() {
      let start = cols.count
      cols.append(contentsOf: row)
      cols[start...].sort()
      var w = start
      for i in start..<cols.count {
        precondition(cols[i] >= 0 && Int(cols[i]) < columnCount, "column out of range")
        if w == start || cols[w - 1] != cols[i] {
          cols[w] = cols[i]
          w += 1
        }
      }
      cols.removeLast(cols.count - w)
      offsets[r + 1] = cols.count
    }
    rowOffsets = offsets
    columns = cols
  }

  /// Number of non-zeros.
  public var nonZeroCount: Int { columns.count }

  /// The sorted columns of row `r`.
  public func row(_ r: Int) -> ArraySlice<Int32> { columns[rowOffsets[r]..<rowOffsets[r + 1]] }

  /// Number of non-zeros in row `r`.
  public func rowLength(_ r: Int) -> Int { rowOffsets[r + 1] - rowOffsets[r] }

  /// Whether (r, c) is a non-zero. O(log row length).
  public func contains(row r: Int, column c: Int32) -> Bool {
    var lo = rowOffsets[r]
    var hi = rowOffsets[r + 1]
    while lo < hi {
      let mid = (lo + hi) >> 1
      let v = columns[mid]
      if v == c { return true }
      if v < c { lo = mid + 1 } else { hi = mid }
    }
    return false
  }

  /// Number of non-zeros in each column.
  public func columnCounts() -> [Int] {
    var counts = [Int](repeating: 0, count: columnCount)
    for c in columns { counts[Int(c)] += 1 }
    return counts
  }
}
