/// A dense row-major matrix of `Float`, the storage of embeddings and activations.
///
/// A value type backed by one contiguous array: `storage[r * cols + c]`. Hot loops take an
/// unsafe pointer once (`withUnsafeMutablePointer`) instead of indexing element by element.
public struct Matrix: Sendable, Equatable {
  /// Number of rows.
  public let rows: Int
  /// Number of columns.
  public let cols: Int
  /// Elements, row after row; `rows * cols` of them.
  public var storage: [Float]

  /// A matrix filled with `value`.
  public init(rows: Int, cols: Int, repeating value: Float = 0) {
    precondition(rows >= 0 && cols >= 0, "negative matrix size")
    self.rows = rows
    self.cols = cols
    storage = [Float](repeating: value, count: rows * cols)
  }

  /// A matrix over existing elements. Precondition: `storage.count == rows * cols`.
  public init(rows: Int, cols: Int, storage: [Float]) {
    precondition(storage.count == rows * cols, "storage does not match \(rows)x\(cols)")
    self.rows = rows
    self.cols = cols
    self.storage = storage
  }

  /// A matrix with entries drawn from N(0, std^2), reproducibly from `generator`.
  public init(rows: Int, cols: Int, gaussianStd std: Float, generator: inout SeededGenerator) {
    self.init(rows: rows, cols: cols)
    for i in 0..<storage.count { storage[i] = std * generator.gaussian() }
  }

  /// Adds `other` element-wise (a residual connection, or gradients meeting). Precondition:
  /// same shape.
  public mutating func add(_ other: Matrix) {
    precondition(rows == other.rows && cols == other.cols, "adding matrices of different shapes")
    for i in 0..<storage.count { storage[i] += other.storage[i] }
  }

  /// Element (r, c).
  @inlinable public subscript(r: Int, c: Int) -> Float {
    get { storage[r * cols + c] }
    set { storage[r * cols + c] = newValue }
  }

  /// A copy of row `r`.
  public func row(_ r: Int) -> [Float] { Array(storage[(r * cols)..<((r + 1) * cols)]) }

  /// The (cols, rows) transpose.
  public func transposed() -> Matrix {
    var out = Matrix(rows: cols, cols: rows)
    for r in 0..<rows { for c in 0..<cols { out.storage[c * rows + r] = storage[r * cols + c] } }
    return out
  }

  /// Calls `body` with a pointer to the first element (read-only).
  @inlinable public func withUnsafePointer<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows
    -> R
  {
    try storage.withUnsafeBufferPointer { try body($0.baseAddress!) }
  }

  /// Calls `body` with a mutable pointer to the first element.
  @inlinable public mutating func withUnsafeMutablePointer<R>(
    _ body: (UnsafeMutablePointer<Float>) throws -> R
  ) rethrows -> R {
    try storage.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
  }
}
