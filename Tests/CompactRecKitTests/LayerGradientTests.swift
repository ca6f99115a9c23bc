import CKernels
import Foundation
import Testing

@testable import CompactRecKit

/// Every layer's backward against central finite differences of sum(out * R).
@Suite("Layer gradients")
struct LayerGradientTests {
  /// Checks dx (returned by `backward`) and every parameter's gradient of a layer mapping x to
  /// out, for the loss sum(out * R).
  func check(
    input: Matrix, parameters: [Parameter], seed: UInt64, eps: Float = 1e-2, tolerance: Double = 2e-2,
    forward: @escaping (Matrix) -> Matrix, backward: (Matrix) -> Matrix
  ) {
    var g = SeededGenerator(seed: seed)
    for p in parameters { p.zeroGrad() }
    let out = forward(input)
    let r = Matrix(rows: out.rows, cols: out.cols, gaussianStd: 1, generator: &g)
    let dx = backward(r)
    var x = input
    let loss = { GradientCheck.dot(forward(x), r) }
    let inputError = GradientCheck.maxError(
      count: x.storage.count, eps: eps, generator: &g, get: { x.storage[$0] }, set: { x.storage[$0] = $1 },
      analytic: { dx.storage[$0] }, loss: loss)
    #expect(inputError < tolerance, "dx")
    for p in parameters {
      let error = GradientCheck.parameterError(p, eps: eps, generator: &g, loss: loss)
      #expect(error < tolerance, "\(p.name)")
    }
  }

  @Test("Linear: dx, dW, db")
  func linear() {
    var g = SeededGenerator(seed: 1)
    let layer = Linear(name: "fc", inputs: 5, outputs: 4, generator: &g)
    layer.bias!.value = Matrix(rows: 1, cols: 4, gaussianStd: 1, generator: &g)
    let x = Matrix(rows: 6, cols: 5, gaussianStd: 1, generator: &g)
    check(
      input: x, parameters: [layer.weight, layer.bias!], seed: 2, forward: layer.forward, backward: layer.backward)
    // Two layers over one weight: the gradient is the sum of both uses.
    let shared = Linear(weight: layer.weight, bias: nil)
    layer.weight.zeroGrad()
    layer.bias!.zeroGrad()
    _ = layer.forward(x)
    _ = layer.backward(Matrix(rows: 6, cols: 4, repeating: 1))
    let once = layer.weight.grad
    _ = shared.forward(x)
    _ = shared.backward(Matrix(rows: 6, cols: 4, repeating: 1))
    for i in 0..<once.storage.count { #expect(abs(layer.weight.grad.storage[i] - 2 * once.storage[i]) < 1e-5) }
  }

  @Test("LayerNorm: dx, dgain, dshift")
  func layerNorm() {
    var g = SeededGenerator(seed: 3)
    let layer = LayerNorm(name: "ln", width: 6)
    layer.gain.value = Matrix(rows: 1, cols: 6, gaussianStd: 1, generator: &g)
    layer.shift.value = Matrix(rows: 1, cols: 6, gaussianStd: 1, generator: &g)
    let x = Matrix(rows: 5, cols: 6, gaussianStd: 2, generator: &g)
    check(
      input: x, parameters: [layer.gain, layer.shift], seed: 4, eps: 1e-2, forward: layer.forward,
      backward: layer.backward)
    // Each output row has mean shift and the gain's spread when gain = 1, shift = 0.
    let plain = LayerNorm(name: "plain", width: 6).forward(x)
    for r in 0..<5 {
      let row = plain.row(r)
      let mean = row.reduce(0, +) / 6
      let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 6
      #expect(abs(mean) < 1e-5 && abs(variance - 1) < 1e-3)
    }
  }

  @Test("ReLU and GELU: dx")
  func activations() {
    var g = SeededGenerator(seed: 5)
    var x = Matrix(rows: 4, cols: 7, gaussianStd: 1, generator: &g)
    // Keep ReLU's inputs away from the kink, where differences are not derivatives.
    for i in 0..<x.storage.count where abs(x.storage[i]) < 0.1 { x.storage[i] += 0.3 }
    let relu = ReLU()
    check(input: x, parameters: [], seed: 6, eps: 1e-3, forward: relu.forward, backward: relu.backward)
    #expect(relu.forward(Matrix(rows: 1, cols: 3, storage: [-1, 0, 2])).storage == [0, 0, 2])
    let gelu = GELU()
    check(input: x, parameters: [], seed: 7, eps: 1e-2, forward: gelu.forward, backward: gelu.backward)
    // GELU(1) = Phi(1) = 0.841345 (normal table), GELU(-1) = -(1 - Phi(1)).
    let y = gelu.forward(Matrix(rows: 1, cols: 3, storage: [1, -1, 0]))
    #expect(abs(y.storage[0] - 0.841345) < 1e-5 && abs(y.storage[1] + 0.158655) < 1e-5 && y.storage[2] == 0)
  }

  @Test("Dropout: the kept share, the 1 / (1 - rate) scale, the mask in backward, identity in inference")
  func dropout() {
    let layer = Dropout(rate: 0.25, seed: 9)
    let x = Matrix(rows: 100, cols: 100, repeating: 2)
    let y = layer.forward(x)
    let kept = y.storage.filter { $0 != 0 }
    #expect(abs(Double(kept.count) / 10_000 - 0.75) < 0.02)
    #expect(kept.allSatisfy { abs($0 - 2 / 0.75) < 1e-6 })
    let dx = layer.backward(Matrix(rows: 100, cols: 100, repeating: 1))
    for i in 0..<dx.storage.count { #expect(dx.storage[i] == y.storage[i] / 2) }
    layer.training = false
    #expect(layer.forward(x) == x)
    #expect(layer.backward(x) == x)
  }

  @Test("CausalConv1d: dx, dW, db at dilation 2, and no output sees a later position")
  func causalConvolution() {
    var g = SeededGenerator(seed: 11)
    let layer = CausalConv1d(name: "conv", channels: 3, outputs: 4, kernel: 3, dilation: 2, generator: &g)
    layer.bias.value = Matrix(rows: 1, cols: 4, gaussianStd: 1, generator: &g)
    let length = 6
    let x = Matrix(rows: 2 * length, cols: 3, gaussianStd: 1, generator: &g)
    check(
      input: x, parameters: [layer.weight, layer.bias], seed: 12, forward: { layer.forward($0, length: length) },
      backward: layer.backward)
    // Changing sequence 0 at t = 3 changes only its outputs at t = 3 and 5 (dilation 2) and
    // never sequence 1.
    let before = layer.forward(x, length: length)
    var changed = x
    for c in 0..<3 { changed[3, c] += 1 }
    let after = layer.forward(changed, length: length)
    for r in 0..<(2 * length) {
      let moved = (0..<4).contains { before[r, $0] != after[r, $0] }
      #expect(moved == (r == 3 || r == 5), "row \(r)")
    }
  }

  @Test("Embedding: gradient rows add up over repeated ids; the padding row reads zero and gets none")
  func embedding() {
    var g = SeededGenerator(seed: 13)
    let layer = Embedding(name: "items", count: 5, width: 3, paddingID: 0, generator: &g)
    layer.table.value[0, 1] = 7  // even a non-zero padding row reads as zero
    let out = layer.forward([0, 2, 4, 2])
    #expect(out.row(0) == [0, 0, 0])
    #expect(out.row(1) == layer.table.value.row(2) && out.row(3) == layer.table.value.row(2))
    layer.table.zeroGrad()
    layer.backward(Matrix(rows: 4, cols: 3, storage: (0..<12).map(Float.init)))
    #expect(layer.table.grad.row(0) == [0, 0, 0])
    #expect(layer.table.grad.row(2) == [12, 14, 16] as [Float])  // rows 1 and 3 of dout
    #expect(layer.table.grad.row(4) == [6, 7, 8])
    #expect(layer.table.grad.row(1) == [0, 0, 0])
  }

  @Test(
    "SoftmaxCrossEntropy: a hand-computed loss, and dh, dW, db by finite differences; rows without target cost nothing")
  func softmax() {
    // One row, logits [0, ln 2, ln 3] (W = identity-like rows, zero bias): p = [1, 2, 3] / 6.
    let tiny = SoftmaxCrossEntropy(
      weight: Parameter(name: "w", value: Matrix(rows: 3, cols: 3, storage: [1, 0, 0, 0, 1, 0, 0, 0, 1])),
      bias: Parameter(name: "b", value: Matrix(rows: 1, cols: 3)))
    let h = Matrix(rows: 2, cols: 3, storage: [0, Float(log(2.0)), Float(log(3.0)), 5, 5, 5])
    let result = tiny.lossAndGradient(h, targets: [1, SoftmaxCrossEntropy.noTarget])
    #expect(result.count == 1)
    #expect(abs(Double(result.loss) - log(3.0)) < 1e-5)
    #expect(result.dHidden.row(1) == [0, 0, 0])
    let expected: [Float] = [1.0 / 6, 2.0 / 6 - 1, 3.0 / 6]
    for c in 0..<3 { #expect(abs(result.dHidden[0, c] - expected[c]) < 1e-5) }

    var g = SeededGenerator(seed: 17)
    let layer = SoftmaxCrossEntropy(name: "out", items: 9, width: 4, generator: &g)
    layer.bias.value = Matrix(rows: 1, cols: 9, gaussianStd: 1, generator: &g)
    layer.chunk = 2  // several chunks
    let x = Matrix(rows: 5, cols: 4, gaussianStd: 1, generator: &g)
    let targets: [Int32] = [3, SoftmaxCrossEntropy.noTarget, 8, 0, 3]
    layer.weight.zeroGrad()
    layer.bias.zeroGrad()
    let analytic = layer.lossAndGradient(x, targets: targets)
    #expect(analytic.count == 4)
    for c in 0..<4 { #expect(analytic.dHidden[1, c] == 0) }
    let errors = GradientCheck.outputLayerErrors(layer, hidden: x, dHidden: analytic.dHidden, generator: &g) {
      Double(layer.lossAndGradient($0, targets: targets).loss)
    }
    #expect(errors.input < 2e-2)
    #expect(errors.weight < 2e-2)
    #expect(errors.bias < 2e-2)
  }

  @Test("sampled binary cross-entropy (SASRec's loss): a hand-computed value, and dh, dW, db by finite differences")
  func sampledBinary() {
    // Logits h . W_i + b_i: target 1 scores ln 3 (sigmoid 3/4), negative 2 scores 0 (1/2).
    let tiny = SoftmaxCrossEntropy(
      weight: Parameter(name: "w", value: Matrix(rows: 3, cols: 2, storage: [0, 0, Float(log(3.0)), 0, 0, 0])),
      bias: Parameter(name: "b", value: Matrix(rows: 1, cols: 3)))
    let none = SoftmaxCrossEntropy.noTarget
    let h = Matrix(rows: 2, cols: 2, storage: [1, 5, 9, 9])
    let result = tiny.sampledBinaryLossAndGradient(h, targets: [1, none], negatives: [2, none])
    #expect(result.count == 1)
    #expect(abs(Double(result.loss) - (-log(0.75) - log(0.5))) < 1e-5)
    #expect(result.dHidden.row(1) == [0, 0])

    var g = SeededGenerator(seed: 18)
    let layer = SoftmaxCrossEntropy(name: "out", items: 9, width: 4, generator: &g)
    layer.bias.value = Matrix(rows: 1, cols: 9, gaussianStd: 1, generator: &g)
    let x = Matrix(rows: 5, cols: 4, gaussianStd: 1, generator: &g)
    let targets: [Int32] = [3, none, 8, 0, 3]
    let negatives: [Int32] = [5, none, 0, 8, 3]
    let analytic = layer.sampledBinaryLossAndGradient(x, targets: targets, negatives: negatives)
    let errors = GradientCheck.outputLayerErrors(layer, hidden: x, dHidden: analytic.dHidden, generator: &g) {
      Double(layer.sampledBinaryLossAndGradient($0, targets: targets, negatives: negatives).loss)
    }
    #expect(errors.input < 2e-2)
    #expect(errors.weight < 2e-2)
    #expect(errors.bias < 2e-2)
  }

  @Test("the vectorized softmax row kernel matches a Double reference, tiny probabilities included")
  func softmaxKernel() {
    var g = SeededGenerator(seed: 29)
    for n in [8, 37, 1000] {
      var row = (0..<n).map { _ in 30 * g.gaussian() }
      row[n / 2] = -200  // far below the maximum: e^x underflows to 0
      let target = Int32(n / 3)
      let top = Double(row.max()!)
      let sum = row.reduce(0.0) { $0 + exp(Double($1) - top) }
      let expectedLoss = log(sum) - (Double(row[Int(target)]) - top)
      let expected = row.enumerated().map { j, v in 0.5 * (exp(Double(v) - top) / sum - (j == Int(target) ? 1 : 0)) }
      let loss = crk_softmax_xent_row(&row, Int64(n), target, 0.5)
      #expect(abs(loss - expectedLoss) < 1e-5 * max(1, abs(expectedLoss)))
      for j in 0..<n { #expect(abs(Double(row[j]) - expected[j]) < 1e-6 + 1e-5 * abs(expected[j]), "n \(n) j \(j)") }
    }
  }

  @Test("clipGradients: the global norm, a shared parameter counted once, scaling only above the limit")
  func clipping() {
    let a = Parameter(name: "a", value: Matrix(rows: 1, cols: 2))
    let b = Parameter(name: "b", value: Matrix(rows: 1, cols: 1))
    a.grad = Matrix(rows: 1, cols: 2, storage: [3, 0])
    b.grad = Matrix(rows: 1, cols: 1, storage: [4])
    #expect(clipGradients([a, b, a], maxNorm: 10) == 5)
    #expect(a.grad.storage == [3, 0] && b.grad.storage == [4])
    #expect(clipGradients([a, b], maxNorm: 1) == 5)
    #expect(abs(a.grad.storage[0] - 0.6) < 1e-6 && abs(b.grad.storage[0] - 0.8) < 1e-6)
  }

  @Test("GRU: dx and all four parameters through time; left padding keeps the state at zero")
  func gru() {
    var g = SeededGenerator(seed: 19)
    let layer = GRU(name: "gru", inputs: 3, hidden: 4, generator: &g)
    layer.inputBias.value = Matrix(rows: 1, cols: 12, gaussianStd: 0.5, generator: &g)
    layer.recurrentBias.value = Matrix(rows: 1, cols: 12, gaussianStd: 0.5, generator: &g)
    let length = 5
    // Sequence 0 is left-padded by two positions.
    let valid = [false, false, true, true, true, true, true, true, true, true]
    let x = Matrix(rows: 2 * length, cols: 3, gaussianStd: 1, generator: &g)
    check(
      input: x, parameters: layer.parameters, seed: 20,
      forward: { layer.forward($0, length: length, valid: valid) }, backward: layer.backward)
    let out = layer.forward(x, length: length, valid: valid)
    #expect(out.row(0) == [0, 0, 0, 0] && out.row(1) == [0, 0, 0, 0])
    // A one-step sequence from the zero state: h' = (1 - z) n with x W_i + b_i + b_h.
    let single = layer.forward(Matrix(rows: 1, cols: 3, storage: [0.3, -0.2, 0.1]), length: 1)
    for j in 0..<4 {
      func gate(_ k: Int) -> Float {
        var s = layer.inputBias.value[0, k] + layer.recurrentBias.value[0, k]
        for c in 0..<3 { s += [0.3, -0.2, 0.1][c] * layer.inputWeight.value[c, k] }
        return s
      }
      let r = 1 / (1 + exp(-gate(j)))
      let z = 1 / (1 + exp(-gate(4 + j)))
      var nIn = layer.inputBias.value[0, 8 + j]
      for c in 0..<3 { nIn += [0.3, -0.2, 0.1][c] * layer.inputWeight.value[c, 8 + j] }
      let n = tanh(nIn + r * layer.recurrentBias.value[0, 8 + j])
      #expect(abs(single[0, j] - (1 - z) * n) < 1e-5)
    }
  }

  @Test("CausalSelfAttention: dx and every projection; no position sees a later one or a padding key")
  func attention() {
    var g = SeededGenerator(seed: 23)
    let layer = CausalSelfAttention(name: "att", width: 6, heads: 2, generator: &g)
    let length = 4
    let valid = [false, true, true, true, true, true, true, true]
    let x = Matrix(rows: 2 * length, cols: 6, gaussianStd: 1, generator: &g)
    check(
      input: x, parameters: layer.parameters, seed: 24,
      forward: { layer.forward($0, length: length, valid: valid) }, backward: layer.backward)
    let before = layer.forward(x, length: length, valid: valid)
    // Changing sequence 1 at t = 2 moves only its rows t = 2, 3.
    var later = x
    for c in 0..<6 { later[length + 2, c] += 1 }
    let moved = layer.forward(later, length: length, valid: valid)
    for r in 0..<(2 * length) {
      let changed = (0..<6).contains { before[r, $0] != moved[r, $0] }
      #expect(changed == (r == length + 2 || r == length + 3), "row \(r)")
    }
    // Changing the padding position of sequence 0 moves nothing.
    var padded = x
    for c in 0..<6 { padded[0, c] += 1 }
    #expect(layer.forward(padded, length: length, valid: valid) == before)
  }
}
