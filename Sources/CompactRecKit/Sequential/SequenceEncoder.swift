/// The middle network of a sequential recommender: maps item embeddings of left-padded
/// sequences to one hidden state per position, seeing only the current and earlier positions.
///
/// Shapes: x (B*T, width) -> (B*T, width). `backward` differentiates the last `forward` and
/// accumulates into `parameters`' gradients. Outputs at items must not depend on how much
/// padding precedes them, so batches can be trimmed to their longest window.
public protocol SequenceEncoder: AnyObject {
  var width: Int { get }
  /// Every trainable parameter (a shared one may appear more than once).
  var parameters: [Parameter] { get }
  /// The dropout layers, each once: training switches them on, and a checkpoint saves their
  /// generators so that a resumed run draws the same masks.
  var dropouts: [Dropout] { get }
  func forward(_ x: Matrix, length: Int, valid: [Bool]) -> Matrix
  /// The output of `forward` at inference (no dropout), keeping nothing for `backward`: any
  /// number of threads may run it at once.
  func infer(_ x: Matrix, length: Int, valid: [Bool]) -> Matrix
  func backward(_ dout: Matrix) -> Matrix
}

extension SequenceEncoder {
  /// Switches dropout (if any) between training and inference.
  public func setTraining(_ training: Bool) { for d in dropouts { d.training = training } }
}

/// Sets the rows of padding positions to zero: m (B*T, width), valid (B*T).
func zeroPadding(_ m: inout Matrix, _ valid: [Bool]) {
  let w = m.cols
  let rows = m.rows
  m.withUnsafeMutablePointer { p in
    for r in 0..<rows where !valid[r] { (p + r * w).update(repeating: 0, count: w) }
  }
}
