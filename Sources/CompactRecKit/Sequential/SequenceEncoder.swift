/// The middle network of a sequential recommender: maps item embeddings of left-padded
/// sequences to one hidden state per position, seeing only the current and earlier positions.
///
/// Shapes: x (B*T, width) -> (B*T, width). `backward` differentiates the last `forward` and
/// accumulates into `parameters`' gradients.
public protocol SequenceEncoder: AnyObject {
  var width: Int { get }
  /// Every trainable parameter (a shared one may appear more than once).
  var parameters: [Parameter] { get }
  /// Switches dropout (if any) between training and inference.
  func setTraining(_ training: Bool)
  func forward(_ x: Matrix, length: Int, valid: [Bool]) -> Matrix
  func backward(_ dout: Matrix) -> Matrix
}
