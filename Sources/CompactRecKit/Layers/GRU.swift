import Foundation

/// A gated recurrent unit layer over left-padded sequences (PyTorch's gate equations):
///
///     r = sigmoid(x W_ir + b_ir + h W_hr + b_hr)
///     z = sigmoid(x W_iz + b_iz + h W_hz + b_hz)
///     n = tanh(x W_in + b_in + r * (h W_hn + b_hn))
///     h' = (1 - z) * n + z * h
///
/// Shapes: x (B*T, C), B sequences of T positions one after the other; input weight W_i
/// (C, 3H) and recurrent weight W_h (H, 3H) with gate columns in the order r, z, n; biases
/// (1, 3H); out (B*T, H), the state after each position. The state starts at zero and a
/// position marked invalid (padding) carries the state unchanged, so left padding leaves it at
/// zero until the first item. The input projection of all positions is one BLAS product; the
/// recurrence is one (B, H) x (H, 3H) product per position. Backward is backpropagation
/// through time over the states the forward kept.
public final class GRU {
  public let inputWeight: Parameter
  public let recurrentWeight: Parameter
  public let inputBias: Parameter
  public let recurrentBias: Parameter
  private var input = Matrix(rows: 0, cols: 0)
  private var valid: [Bool] = []
  private var length = 0
  // Per position t, rows b = 0 ..< B: the gates r, z, n, the recurrent candidate term
  // h W_hn + b_hn, and the state before the step.
  private var reset: [Matrix] = []
  private var update: [Matrix] = []
  private var candidate: [Matrix] = []
  private var recurrentCandidate: [Matrix] = []
  private var previous: [Matrix] = []

  public init(name: String, inputs: Int, hidden: Int, generator: inout SeededGenerator) {
    let std = 1 / Float(hidden).squareRoot()
    inputWeight = Parameter(
      name: name + ".input_weight",
      value: Matrix(rows: inputs, cols: 3 * hidden, gaussianStd: std, generator: &generator))
    recurrentWeight = Parameter(
      name: name + ".recurrent_weight",
      value: Matrix(rows: hidden, cols: 3 * hidden, gaussianStd: std, generator: &generator))
    inputBias = Parameter(name: name + ".input_bias", value: Matrix(rows: 1, cols: 3 * hidden))
    recurrentBias = Parameter(name: name + ".recurrent_bias", value: Matrix(rows: 1, cols: 3 * hidden))
  }

  public var inputs: Int { inputWeight.value.rows }
  public var hidden: Int { recurrentWeight.value.rows }
  public var parameters: [Parameter] { [inputWeight, recurrentWeight, inputBias, recurrentBias] }

  private static func sigmoid(_ v: Float) -> Float { 1 / (1 + exp(-v)) }

  /// The states after each position of each sequence. `valid[b * length + t]` is false for
  /// padding positions (nil: all valid).
  public func forward(_ x: Matrix, length: Int, valid: [Bool]? = nil) -> Matrix {
    run(x, length: length, valid: valid, record: true)
  }

  /// The output of `forward` without keeping anything for `backward`: inference, which many
  /// threads may run at once.
  public func infer(_ x: Matrix, length: Int, valid: [Bool]? = nil) -> Matrix {
    run(x, length: length, valid: valid, record: false)
  }

  /// The forward pass; with `record`, keeps the input and every step's gates for `backward`.
  private func run(_ x: Matrix, length: Int, valid: [Bool]?, record: Bool) -> Matrix {
    precondition(x.cols == inputs && length > 0 && x.rows % length == 0, "GRU input shape")
    let batch = x.rows / length
    let hd = hidden
    let valid = valid ?? [Bool](repeating: true, count: x.rows)
    precondition(valid.count == x.rows, "one validity flag per position")
    // All input projections at once: (B*T, 3H).
    let projected = Affine.forward(x, weight: inputWeight.value, bias: inputBias.value)
    var steps: (reset: [Matrix], update: [Matrix], candidate: [Matrix], recurrent: [Matrix], previous: [Matrix]) = (
      [], [], [], [], []
    )
    var out = Matrix(rows: x.rows, cols: hd)
    var state = Matrix(rows: batch, cols: hd)
    for t in 0..<length {
      let recurrent = Affine.forward(state, weight: recurrentWeight.value, bias: recurrentBias.value)
      var r = Matrix(rows: batch, cols: hd)
      var z = Matrix(rows: batch, cols: hd)
      var n = Matrix(rows: batch, cols: hd)
      var hn = Matrix(rows: batch, cols: hd)
      var next = state
      for b in 0..<batch {
        let row = b * length + t
        guard valid[row] else { continue }
        for j in 0..<hd {
          let rv = Self.sigmoid(projected[row, j] + recurrent[b, j])
          let zv = Self.sigmoid(projected[row, hd + j] + recurrent[b, hd + j])
          let hv = recurrent[b, 2 * hd + j]
          let nv = tanh(projected[row, 2 * hd + j] + rv * hv)
          r[b, j] = rv
          z[b, j] = zv
          n[b, j] = nv
          hn[b, j] = hv
          next[b, j] = (1 - zv) * nv + zv * state[b, j]
        }
      }
      if record {
        steps.reset.append(r)
        steps.update.append(z)
        steps.candidate.append(n)
        steps.recurrent.append(hn)
        steps.previous.append(state)
      }
      state = next
      for b in 0..<batch { for j in 0..<hd { out[b * length + t, j] = state[b, j] } }
    }
    if record {
      input = x
      self.length = length
      self.valid = valid
      (reset, update, candidate, recurrentCandidate, previous) = steps
    }
    return out
  }

  /// Differentiates `forward` by backpropagation through time. With dh the gradient reaching
  /// h' (from the output and from the next step): dn = dh (1 - z), dz = dh (h - n), and dh
  /// (to the previous state) = dh z + [dr, dz, dhn] W_h^T, where the pre-activation
  /// gradients are dn' = dn (1 - n^2), dz' = dz z (1 - z), dr' = dn' hn r (1 - r), dhn = dn' r;
  /// the input side takes [dr', dz', dn']. Returns dx.
  public func backward(_ dout: Matrix) -> Matrix {
    precondition(dout.rows == input.rows && dout.cols == hidden, "dout shape differs from the last output")
    let batch = input.rows / length
    let hd = hidden
    let h3 = 3 * hd
    var dProjected = Matrix(rows: input.rows, cols: h3)
    var carry = Matrix(rows: batch, cols: hd)  // gradient reaching the state after step t
    for t in stride(from: length - 1, through: 0, by: -1) {
      var dRecurrent = Matrix(rows: batch, cols: h3)
      var dPrevious = Matrix(rows: batch, cols: hd)
      let r = reset[t]
      let z = update[t]
      let n = candidate[t]
      let hn = recurrentCandidate[t]
      let h = previous[t]
      for b in 0..<batch {
        let row = b * length + t
        for j in 0..<hd {
          let dh = carry[b, j] + dout[row, j]
          guard valid[row] else {
            dPrevious[b, j] = dh
            continue
          }
          let dn = dh * (1 - z[b, j]) * (1 - n[b, j] * n[b, j])
          let dz = dh * (h[b, j] - n[b, j]) * z[b, j] * (1 - z[b, j])
          let dr = dn * hn[b, j] * r[b, j] * (1 - r[b, j])
          dPrevious[b, j] = dh * z[b, j]
          dProjected[row, j] = dr
          dProjected[row, hd + j] = dz
          dProjected[row, 2 * hd + j] = dn
          dRecurrent[b, j] = dr
          dRecurrent[b, hd + j] = dz
          dRecurrent[b, 2 * hd + j] = dn * r[b, j]
        }
      }
      Affine.backward(h, dRecurrent, weight: recurrentWeight, bias: recurrentBias, addingTo: &dPrevious)
      carry = dPrevious
    }
    return Affine.backward(input, dProjected, weight: inputWeight, bias: inputBias)
  }
}
