/// How the gradient crosses the quantizer in quantization-aware training (HQ-GNN).
///
/// Forward, the loss sees x_q = Q(x). Backward, Q has zero derivative almost everywhere, so an
/// estimator stands in for it:
/// - straight-through (STE): g_x = g_q;
/// - generalized STE (GSTE, after EWGS): g_x = g_q * (1 + delta * sign(g_q) * (x - x_q)), which
///   scales each element's gradient by where x sits relative to its level, and so accounts for
///   the quantization error. delta comes from second-order information:
///   delta = (Tr(H) / N) / (3 * std(g_q)), clipped at 0, with Tr(H) the Hessian trace of the
///   loss with respect to the quantized values (Hutchinson estimate) and N their count.
public enum GradientEstimator: Sendable, Equatable, Codable {
  /// Straight-through.
  case ste
  /// GSTE with delta re-estimated from the Hessian every `refreshEvery` steps, with `probes`
  /// Rademacher probes per estimate.
  case gste(refreshEvery: Int, probes: Int)
  /// GSTE with a fixed delta.
  case gsteFixed(delta: Float)

  /// GSTE's default: delta refreshed every 100 steps from 4 probes.
  public static let hessianAware = GradientEstimator.gste(refreshEvery: 100, probes: 4)

  /// g = g * (1 + delta * sign(g) * (x - xq)) over `count` elements, in place.
  public static func applyGSTE(
    to g: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, quantized xq: UnsafePointer<Float>, count: Int,
    delta: Float
  ) {
    guard delta != 0 else { return }
    for i in 0..<count {
      let s: Float = g[i] > 0 ? 1 : (g[i] < 0 ? -1 : 0)
      g[i] *= 1 + delta * s * (x[i] - xq[i])
    }
  }

  /// delta = (trace / count) / (3 * std(g)) over the `count` gradient elements, clipped at 0
  /// (0 when the gradient is constant).
  public static func delta(hessianTrace trace: Double, gradient g: UnsafePointer<Float>, count: Int) -> Float {
    guard count > 1 else { return 0 }
    var sum = 0.0
    var squares = 0.0
    for i in 0..<count {
      sum += Double(g[i])
      squares += Double(g[i]) * Double(g[i])
    }
    let mean = sum / Double(count)
    let std = max(0, squares / Double(count) - mean * mean).squareRoot()
    guard std > 0 else { return 0 }
    return Float(max(0, (trace / Double(count)) / (3 * std)))
  }
}
