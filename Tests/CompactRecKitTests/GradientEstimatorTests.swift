import Foundation
import Testing

@testable import CompactRecKit

@Suite("GradientEstimator and BPRHessian")
struct GradientEstimatorTests {
  /// Mean BPR loss of the batch in Double, the reference for finite differences.
  private func loss(_ q: [Float], _ h: BPRHessian) -> Double {
    var total = 0.0
    for t in 0..<h.users.count {
      var x = 0.0
      for c in 0..<h.dim {
        let u = Double(q[Int(h.users[t]) * h.dim + c])
        x += u * (Double(q[Int(h.positives[t]) * h.dim + c]) - Double(q[Int(h.negatives[t]) * h.dim + c]))
      }
      total += x > 0 ? log1p(exp(-x)) : -x + log1p(exp(x))
    }
    return total / Double(h.users.count)
  }

  private let hessian = BPRHessian(users: [0, 1, 0], positives: [2, 3, 4], negatives: [3, 4, 2], dim: 4)

  @Test("the BPR Hessian quadratic form matches second differences of the loss")
  func quadraticForm() {
    var g = SeededGenerator(seed: 21)
    let q = (0..<20).map { _ in g.gaussian() }
    let v = (0..<20).map { _ in g.gaussian() }
    let exact = q.withUnsafeBufferPointer { qp in
      v.withUnsafeBufferPointer { hessian.quadraticForm(at: qp.baseAddress!, direction: $0.baseAddress!) }
    }
    let e: Float = 1e-2
    let up = zip(q, v).map { $0 + e * $1 }
    let down = zip(q, v).map { $0 - e * $1 }
    let numeric = (loss(up, hessian) - 2 * loss(q, hessian) + loss(down, hessian)) / Double(e * e)
    #expect(abs(numeric - exact) < 1e-3 * max(1, abs(exact)), "\(numeric) vs \(exact)")
  }

  @Test("Hutchinson's estimate converges to the exact trace")
  func trace() {
    var g = SeededGenerator(seed: 5)
    let q = (0..<20).map { _ in g.gaussian() }
    var exact = 0.0
    for k in 0..<20 {
      var basis = [Float](repeating: 0, count: 20)
      basis[k] = 1
      exact += q.withUnsafeBufferPointer { qp in
        basis.withUnsafeBufferPointer { hessian.quadraticForm(at: qp.baseAddress!, direction: $0.baseAddress!) }
      }
    }
    var probes = SeededGenerator(seed: 6)
    let estimate = q.withUnsafeBufferPointer {
      hessian.traceEstimate(at: $0.baseAddress!, rows: 5, probes: 4000, generator: &probes)
    }
    #expect(abs(estimate - exact) < 0.05 * abs(exact) + 1e-3, "\(estimate) vs \(exact)")
  }

  @Test("GSTE scales each gradient by 1 + delta sign(g) (x - x_q); delta follows the trace and clips at 0")
  func gste() {
    var grad: [Float] = [2, -1, 0, 4]
    let x: [Float] = [0.3, 0.3, 0.3, -0.2]
    let xq: [Float] = [0.5, 0.5, 0.5, -0.5]
    GradientEstimator.applyGSTE(to: &grad, x: x, quantized: xq, count: 4, delta: 2)
    let want: [Float] = [2 * 0.6, -1 * 1.4, 0, 4 * 1.6]
    for k in 0..<4 { #expect(abs(grad[k] - want[k]) < 1e-6) }
    let g: [Float] = [1, 3, 1, 3]  // mean 2, std 1
    #expect(GradientEstimator.delta(hessianTrace: 12, gradient: g, count: 4) == 1)
    #expect(GradientEstimator.delta(hessianTrace: -12, gradient: g, count: 4) == 0)
    #expect(GradientEstimator.delta(hessianTrace: 12, gradient: [1, 1, 1, 1], count: 4) == 0)
  }
}
