@testable import CompactRecKit

/// Central finite differences for layer tests: the loss is sum(out * R) for a fixed random R,
/// so dout = R, and each sampled element's analytic gradient is compared with
/// (L(x + eps) - L(x - eps)) / (2 eps), computed in Double.
enum GradientCheck {
  /// sum(a * b) in Double.
  static func dot(_ a: Matrix, _ b: Matrix) -> Double {
    precondition(a.storage.count == b.storage.count)
    var s: Double = 0
    for i in 0..<a.storage.count { s += Double(a.storage[i]) * Double(b.storage[i]) }
    return s
  }

  /// The largest relative error |numeric - analytic| / max(|numeric|, |analytic|, floor) over
  /// `samples` elements (all when fewer) of a tensor read and written through `get`/`set`.
  static func maxError(
    count: Int, samples: Int = 40, eps: Float = 1e-2, floor: Double = 1e-2, generator: inout SeededGenerator,
    get: (Int) -> Float, set: (Int, Float) -> Void, analytic: (Int) -> Float, loss: () -> Double
  ) -> Double {
    let picks = count <= samples ? Array(0..<count) : (0..<samples).map { _ in generator.index(below: count) }
    var worst: Double = 0
    for i in picks {
      let v = get(i)
      set(i, v + eps)
      let up = loss()
      set(i, v - eps)
      let down = loss()
      set(i, v)
      let numeric = (up - down) / (2 * Double(eps))
      let a = Double(analytic(i))
      worst = max(worst, abs(numeric - a) / max(abs(numeric), abs(a), floor))
    }
    return worst
  }

  /// maxError for every element of a parameter's value against its accumulated gradient.
  static func parameterError(
    _ p: Parameter, samples: Int = 40, eps: Float = 1e-2, floor: Double = 1e-2, generator: inout SeededGenerator,
    loss: () -> Double
  ) -> Double {
    let grad = p.grad
    return maxError(
      count: p.count, samples: samples, eps: eps, floor: floor, generator: &generator, get: { p.value.storage[$0] },
      set: { p.value.storage[$0] = $1 }, analytic: { grad.storage[$0] }, loss: loss)
  }

  /// The finite-difference errors of an output layer's dh, dW and db: `dHidden` and the
  /// layer's accumulated gradients come from one call at `hidden`, and `loss(h)` recomputes
  /// that call's loss at h. The gradients are put back before each parameter is checked, so
  /// the loss calls of the checks before it do not count.
  static func outputLayerErrors(
    _ layer: SoftmaxCrossEntropy, hidden: Matrix, dHidden: Matrix, generator: inout SeededGenerator,
    loss: (Matrix) -> Double
  ) -> (input: Double, weight: Double, bias: Double) {
    var x = hidden
    let weightGrad = layer.weight.grad
    let biasGrad = layer.bias.grad
    let lossAtX = { loss(x) }
    let input = maxError(
      count: x.storage.count, generator: &generator, get: { x.storage[$0] }, set: { x.storage[$0] = $1 },
      analytic: { dHidden.storage[$0] }, loss: lossAtX)
    layer.weight.grad = weightGrad
    let weight = parameterError(layer.weight, generator: &generator, loss: lossAtX)
    layer.bias.grad = biasGrad
    let bias = parameterError(layer.bias, generator: &generator, loss: lossAtX)
    return (input, weight, bias)
  }
}
