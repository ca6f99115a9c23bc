import Foundation
import Testing

@testable import CompactRecKit

@Suite("Quantized LightGCN (HQ-GNN)")
struct QuantizedLightGCNTests {
  private let matrix: InteractionMatrix = {
    var g = SeededGenerator(seed: 9)
    let rows = (0..<40).map { _ in Array(Set((0..<6).map { _ in Int32(g.next() % 30) })).sorted() }
    return InteractionMatrix(rows: rows, columnCount: 30)
  }()
  private let users = (0..<32).map { Int32($0 % 40) }
  private var positives: [Int32] { users.map { matrix.row(Int($0)).first! } }
  private let negatives: [Int32] = {
    var g = SeededGenerator(seed: 10)
    return (0..<32).map { _ in Int32(g.next() % 30) }
  }()

  private func gradient(_ quantization: QuantizationSettings?, loss: inout Double) -> [Float] {
    let model = LightGCN(
      matrix: matrix, dim: 16, weights: [0.25, 0.25, 0.25, 0.25], initStd: 0.3, seed: 4, precision: .float32,
      quantization: quantization)
    loss = model.accumulateGradients(users: users, positives: positives, negatives: negatives, l2: 1e-3)
    return model.embedding.grad.storage
  }

  @Test("the step's loss is the BPR loss of the quantized final embeddings")
  func forward() {
    let model = LightGCN(
      matrix: matrix, dim: 16, weights: [0.25, 0.25, 0.25, 0.25], initStd: 0.3, seed: 4, precision: .float32,
      quantization: QuantizationSettings(bits: 2, estimator: .ste))
    let loss = model.accumulateGradients(users: users, positives: positives, negatives: negatives, l2: 0)
    model.propagate()
    let codes = model.codes!
    var want = 0.0
    for t in 0..<users.count {
      let x =
        Double(codes.users.dot(row: Int(users[t]), with: codes.items, row: Int(positives[t])))
        - Double(codes.users.dot(row: Int(users[t]), with: codes.items, row: Int(negatives[t])))
      want += x > 0 ? log1p(exp(-x)) : -x + log1p(exp(x))
    }
    want /= Double(users.count)
    #expect(abs(loss - want) < 1e-5 * max(1, want))
  }

  @Test("8-bit STE gives almost the full-precision gradient; GSTE with delta 0 is STE exactly")
  func estimators() {
    var loss = 0.0
    let full = gradient(nil, loss: &loss)
    let eightBit = gradient(QuantizationSettings(bits: 8, estimator: .ste), loss: &loss)
    let scale = full.map { abs($0) }.max()!
    for (a, b) in zip(full, eightBit) { #expect(abs(a - b) <= 2e-2 * scale) }
    let ste = gradient(QuantizationSettings(bits: 1, estimator: .ste), loss: &loss)
    #expect(gradient(QuantizationSettings(bits: 1, estimator: .gsteFixed(delta: 0)), loss: &loss) == ste)
    let gste = gradient(QuantizationSettings(bits: 1, estimator: .gsteFixed(delta: 5)), loss: &loss)
    #expect(gste != ste)
    let hessian = gradient(QuantizationSettings(bits: 1, estimator: .hessianAware), loss: &loss)
    #expect(hessian.allSatisfy { $0.isFinite })
  }

  @Test("the deployable model holds only codes; its scores and rankings equal the dequantized dot products")
  func deployable() throws {
    for bits in [1, 2, 4] {
      let model = LightGCN(
        matrix: matrix, dim: 70, weights: [0.5, 0.5], initStd: 0.3, seed: 2,
        quantization: QuantizationSettings(bits: bits, estimator: .ste))
      let deployed = try #require(model.deployable() as? QuantizedEmbeddings)
      #expect(deployed.tensors().allSatisfy { !$0.name.contains("embedding") })
      let du = deployed.users.dequantized()
      let di = deployed.items.dequantized()
      var scores = [Float](repeating: 0, count: 30)
      for user in [0, 7, 39] {
        scores.withUnsafeMutableBufferPointer {
          deployed.score([ScoringQuery(user: Int32(user))][...], into: $0.baseAddress!)
        }
        var exact = [Double](repeating: 0, count: 30)
        for i in 0..<30 {
          for c in 0..<70 {
            let product = Double(du[user, c]) * Double(di[i, c])
            exact[i] += product
          }
          #expect(abs(Double(scores[i]) - exact[i]) <= 1e-5 * max(1, abs(exact[i])))
        }
        let ranking = deployed.recommend([ScoringQuery(user: Int32(user))], k: 10)[0].items
        let order: [Int] = (0..<30).sorted { (a: Int, b: Int) -> Bool in
          exact[a] != exact[b] ? exact[a] > exact[b] : a < b
        }
        let want = order.prefix(10).map { Int32($0) }
        #expect(ranking == Array(want))
      }
    }
  }

  @Test("a quantized model file round-trips and refuses codes with padding bits set")
  func persistence() throws {
    let model = LightGCN(
      matrix: matrix, dim: 70, weights: [0.5, 0.5], initStd: 0.3, seed: 2,
      quantization: QuantizationSettings(bits: 2, estimator: .ste))
    let deployed = try #require(model.deployable() as? QuantizedEmbeddings)
    let file = ModelFile(
      kind: QuantizedEmbeddings.kind, hyperParameters: deployed.hyperParameters, userIDs: (0..<40).map(String.init),
      itemIDs: (0..<30).map(String.init), tensors: deployed.tensors())
    let loaded = try QuantizedEmbeddings(file: file)
    #expect(loaded.users == deployed.users && loaded.items == deployed.items)
    // Counted as a float model is: one parameter per coded weight, and one per step.
    #expect(deployed.parameterCount == (40 + 30) * (70 + 1))
    var tensors = deployed.tensors()
    var words = try tensors[0].uint64s()
    words[1] |= 1 << 63  // plane 0 of user 0, last word, bit 127 >= dim 70
    tensors[0] = Tensor(name: "user_codes", shape: tensors[0].shape, uint64: words)
    var bad = file
    bad.tensors = tensors
    #expect(throws: ModelFileError.self) { try QuantizedEmbeddings(file: bad) }
  }

  @Test("8-bit log-scale steps: within half a level, zero kept, and a model file of 33 bytes per 1-bit d = 256 row")
  func eightBitSteps() throws {
    var g = SeededGenerator(seed: 5)
    let steps = (0..<500).map { $0 == 7 ? 0 : 0.01 * exp(Float($0 % 50) / 20) + 0.001 * g.unitFloat() }
    let stored = LogSteps(encoding: steps)
    let back = stored.steps
    let halfLevel = (stored.high - stored.low) / 508
    #expect(back[7] == 0 && stored.codes[7] == 0)
    for (a, b) in zip(steps, back) where a > 0 { #expect(abs(log(b) - log(a)) <= halfLevel * 1.001) }
    // The stored steps are what a model scores with, and survive a file.
    let rows = Matrix(rows: 40, cols: 256, gaussianStd: 1, generator: &g)
    let codes = PackedCodes(quantizing: rows, with: RowQuantizer(bits: 1))
    let model = QuantizedEmbeddings(users: codes, items: codes, layers: 0, stepBits: 8)
    #expect(model.items.steps == LogSteps(encoding: codes.steps).steps)
    #expect(model.hyperParameters["step_bits"] == 8)
    let itemBytes = model.tensors().filter { $0.name == "item_codes" || $0.name == "item_steps" }
      .reduce(0) { $0 + $1.bytes.count }
    #expect(itemBytes == 40 * 33)
    let file = ModelFile(
      kind: QuantizedEmbeddings.kind, hyperParameters: model.hyperParameters, userIDs: (0..<40).map(String.init),
      itemIDs: (0..<40).map(String.init), tensors: model.tensors())
    let loaded = try QuantizedEmbeddings(file: file)
    #expect(loaded.items == model.items && loaded.users == model.users)
    #expect(loaded.logSteps?.items == model.logSteps?.items && loaded.logSteps?.items.codes.count == 40)
    var before = [Float](repeating: 0, count: 40)
    var after = before
    model.score([ScoringQuery(user: 3)][...], into: &before)
    loaded.score([ScoringQuery(user: 3)][...], into: &after)
    #expect(before == after)
  }
}
