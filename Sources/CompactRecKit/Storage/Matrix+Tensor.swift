extension Tensor {
  /// A matrix as an f32 tensor of shape [rows, cols].
  public init(name: String, matrix: Matrix) {
    self.init(name: name, shape: [matrix.rows, matrix.cols], floats: matrix.storage)
  }
}

extension ModelFile {
  /// The f32 (or f16) tensor `name` as a rows x cols matrix; throws when missing or shaped
  /// otherwise.
  public func matrix(_ name: String, rows: Int, cols: Int) throws -> Matrix {
    Matrix(rows: rows, cols: cols, storage: try floats(name, shape: [rows, cols]))
  }
}
