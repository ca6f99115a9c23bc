import Foundation

/// Multi-head causal self-attention (SASRec's attention layer).
///
/// Shapes: x (B*T, C), B sequences of T positions one after the other, C = heads * headWidth;
/// the query, key, value and output projections are `Linear` layers (C, C). For sequence b,
/// head h and position i: p_ij = softmax_j(q_i . k_j / sqrt(headWidth)) over the keys j <= i
/// that are valid (not padding), context_i = sum_j p_ij v_j, and out = context W_o + b_o. A
/// position with no valid key (padding before the first item) gets a zero context. The layer
/// keeps q, k, v and the attention weights for `backward`.
public final class CausalSelfAttention {
  public let query: Linear
  public let key: Linear
  public let value: Linear
  public let output: Linear
  public let heads: Int
  private var q = Matrix(rows: 0, cols: 0)
  private var k = Matrix(rows: 0, cols: 0)
  private var v = Matrix(rows: 0, cols: 0)
  private var weights: [Float] = []  // (B, heads, T, T), zero above the diagonal and at padding keys
  private var valid: [Bool] = []
  private var length = 0

  /// An attention layer over existing (possibly shared) projections, each (width, width).
  public init(query: Linear, key: Linear, value: Linear, output: Linear, heads: Int) {
    let width = query.inputs
    precondition(heads >= 1 && width % heads == 0, "width must be a multiple of heads")
    precondition(
      [query, key, value, output].allSatisfy { $0.inputs == width && $0.outputs == width }, "projection shapes")
    self.query = query
    self.key = key
    self.value = value
    self.output = output
    self.heads = heads
  }

  /// New projections with weights from N(0, 1/width) and zero biases.
  public convenience init(name: String, width: Int, heads: Int, generator: inout SeededGenerator) {
    let make = { (part: String, g: inout SeededGenerator) in
      Linear(name: name + "." + part, inputs: width, outputs: width, generator: &g)
    }
    let q = make("query", &generator)
    let k = make("key", &generator)
    let v = make("value", &generator)
    let o = make("output", &generator)
    self.init(query: q, key: k, value: v, output: o, heads: heads)
  }

  public var width: Int { query.inputs }
  public var parameters: [Parameter] {
    [query, key, value, output].flatMap { [$0.weight] + ($0.bias.map { [$0] } ?? []) }
  }

  /// `valid[b * length + t]` is false for padding positions (nil: all valid).
  public func forward(_ x: Matrix, length: Int, valid: [Bool]? = nil) -> Matrix {
    run(x, length: length, valid: valid, record: true)
  }

  /// The output of `forward` without keeping anything for `backward`: inference, which many
  /// threads may run at once.
  public func infer(_ x: Matrix, length: Int, valid: [Bool]? = nil) -> Matrix {
    run(x, length: length, valid: valid, record: false)
  }

  /// The forward pass; with `record`, keeps q, k, v, the weights and the mask for `backward`.
  private func run(_ x: Matrix, length: Int, valid: [Bool]?, record: Bool) -> Matrix {
    precondition(x.cols == width && length > 0 && x.rows % length == 0, "attention input shape")
    let valid = valid ?? [Bool](repeating: true, count: x.rows)
    precondition(valid.count == x.rows, "one validity flag per position")
    let q = record ? query.forward(x) : query.infer(x)
    let k = record ? key.forward(x) : key.infer(x)
    let v = record ? value.forward(x) : value.infer(x)
    let batch = x.rows / length
    let t = length
    let c = width
    let hw = c / heads
    let scale = 1 / Float(hw).squareRoot()
    var weights = [Float](repeating: 0, count: batch * heads * t * t)
    var context = Matrix(rows: x.rows, cols: c)
    for b in 0..<batch {
      for h in 0..<heads {
        for i in 0..<t {
          let base = ((b * heads + h) * t + i) * t
          var top = -Float.infinity
          for j in 0...i where valid[b * t + j] {
            var s: Float = 0
            for e in 0..<hw { s += q[b * t + i, h * hw + e] * k[b * t + j, h * hw + e] }
            weights[base + j] = s * scale
            top = max(top, s * scale)
          }
          guard top > -Float.infinity else { continue }
          var sum: Float = 0
          for j in 0...i where valid[b * t + j] {
            let e = exp(weights[base + j] - top)
            weights[base + j] = e
            sum += e
          }
          for j in 0...i where valid[b * t + j] {
            weights[base + j] /= sum
            for e in 0..<hw { context[b * t + i, h * hw + e] += weights[base + j] * v[b * t + j, h * hw + e] }
          }
        }
      }
    }
    guard record else { return output.infer(context) }
    (self.q, self.k, self.v, self.weights, self.valid, self.length) = (q, k, v, weights, valid, length)
    return output.forward(context)
  }

  /// Differentiates `forward`. From dcontext (the output projection's dx): dv_j += p_ij
  /// dcontext_i, dp_ij = dcontext_i . v_j, ds_ij = p_ij (dp_ij - sum_j' p_ij' dp_ij'), dq_i +=
  /// ds_ij k_j / sqrt(headWidth), dk_j += ds_ij q_i / sqrt(headWidth); then dx is the sum of
  /// the three input projections' dx.
  public func backward(_ dout: Matrix) -> Matrix {
    let dContext = output.backward(dout)
    let batch = q.rows / length
    let t = length
    let c = width
    let hw = c / heads
    let scale = 1 / Float(hw).squareRoot()
    var dq = Matrix(rows: q.rows, cols: c)
    var dk = Matrix(rows: q.rows, cols: c)
    var dv = Matrix(rows: q.rows, cols: c)
    var dp = [Float](repeating: 0, count: t)
    for b in 0..<batch {
      for h in 0..<heads {
        for i in 0..<t {
          let base = ((b * heads + h) * t + i) * t
          var weighted: Float = 0
          for j in 0...i {
            let p = weights[base + j]
            guard p != 0 else {
              dp[j] = 0
              continue
            }
            var s: Float = 0
            for e in 0..<hw {
              s += dContext[b * t + i, h * hw + e] * v[b * t + j, h * hw + e]
              dv[b * t + j, h * hw + e] += p * dContext[b * t + i, h * hw + e]
            }
            dp[j] = s
            weighted += p * s
          }
          for j in 0...i where weights[base + j] != 0 {
            let ds = weights[base + j] * (dp[j] - weighted) * scale
            for e in 0..<hw {
              dq[b * t + i, h * hw + e] += ds * k[b * t + j, h * hw + e]
              dk[b * t + j, h * hw + e] += ds * q[b * t + i, h * hw + e]
            }
          }
        }
      }
    }
    var dx = query.backward(dq)
    let fromKey = key.backward(dk)
    let fromValue = value.backward(dv)
    dx.add(fromKey)
    dx.add(fromValue)
    return dx
  }
}
