/// A trainable tensor and its gradient.
///
/// A reference type on purpose: two layers that hold the same `Parameter` share it, and
/// the optimizer updates it once from the summed gradient.
public final class Parameter {
  /// A name for files and reports, e.g. `item_embedding`.
  public let name: String
  /// Current value.
  public var value: Matrix
  /// Accumulated gradient of the loss with respect to `value`, same shape.
  public var grad: Matrix

  /// A parameter with the given initial value and a zero gradient.
  public init(name: String, value: Matrix) {
    self.name = name
    self.value = value
    grad = Matrix(rows: value.rows, cols: value.cols)
  }

  /// Number of scalars.
  public var count: Int { value.storage.count }

  /// Sets the gradient to zero.
  public func zeroGrad() {
    let n = grad.storage.count
    grad.withUnsafeMutablePointer { $0.update(repeating: 0, count: n) }
  }
}
