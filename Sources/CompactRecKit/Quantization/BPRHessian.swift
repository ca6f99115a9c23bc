/// Second-order information of the mean BPR loss of a batch, for the GSTE delta.
///
/// The loss L = (1/B) sum_t softplus(-x_t), x_t = <q_u, q_i - q_j>, is a function of the
/// batch's (quantized) final embeddings q, held compactly: node v's row is q[slot[v]]. For a
/// direction v (same layout) the Hessian quadratic form is exact and cheap:
///   v^T H v = (1/B) sum_t [ sigma(x_t) sigma(-x_t) a_t^2 - sigma(-x_t) b_t ],
///   a_t = <v_u, q_i - q_j> + <q_u, v_i - v_j> (the derivative of x_t along v),
///   b_t = 2 <v_u, v_i - v_j>                   (the second derivative of x_t along v).
/// Hutchinson's estimator Tr(H) = E[v^T H v] over Rademacher v averages it over probes.
public struct BPRHessian {
  /// Triples of the batch as compact row positions.
  let users: [Int32]
  let positives: [Int32]
  let negatives: [Int32]
  /// Width of each row.
  let dim: Int

  /// A batch whose triple t uses rows users[t], positives[t], negatives[t] of the compact
  /// embeddings (positions, not node ids).
  public init(users: [Int32], positives: [Int32], negatives: [Int32], dim: Int) {
    precondition(users.count == positives.count && users.count == negatives.count, "triple arrays differ")
    self.users = users
    self.positives = positives
    self.negatives = negatives
    self.dim = dim
  }

  /// v^T H v at the embeddings `q`.
  public func quadraticForm(at q: UnsafePointer<Float>, direction v: UnsafePointer<Float>) -> Double {
    let d = dim
    var total = 0.0
    for t in 0..<users.count {
      let u = Int(users[t]) * d
      let i = Int(positives[t]) * d
      let j = Int(negatives[t]) * d
      var x: Float = 0
      var a: Float = 0
      var b: Float = 0
      for c in 0..<d {
        x += q[u + c] * (q[i + c] - q[j + c])
        a += v[u + c] * (q[i + c] - q[j + c]) + q[u + c] * (v[i + c] - v[j + c])
        b += 2 * v[u + c] * (v[i + c] - v[j + c])
      }
      let s = sigmoid(x)
      total += Double(s * (1 - s) * a * a - (1 - s) * b)
    }
    return total / Double(max(1, users.count))
  }

  /// Hutchinson's estimate of Tr(H) over `rows` compact rows, from `probes` Rademacher
  /// directions drawn from `generator`.
  public func traceEstimate(
    at q: UnsafePointer<Float>, rows: Int, probes: Int, generator: inout SeededGenerator
  ) -> Double {
    var v = [Float](repeating: 0, count: rows * dim)
    var total = 0.0
    for _ in 0..<max(1, probes) {
      for k in 0..<v.count { v[k] = generator.next() & 1 == 0 ? 1 : -1 }
      total += v.withUnsafeBufferPointer { quadraticForm(at: q, direction: $0.baseAddress!) }
    }
    return total / Double(max(1, probes))
  }
}
