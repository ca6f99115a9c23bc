import Foundation
import Testing

@testable import CompactRecKit

@Suite("LightGCN's sampled softmax loss")
struct SampledSoftmaxTests {
  private let matrix = InteractionMatrix(rows: [[0, 1], [1, 2, 3], [3], [0, 4]], columnCount: 5)

  /// The loss of one pair by hand: -log softmax of similarity / t over the positive and the
  /// negatives, the similarity the cosine or the dot product.
  private func pairLoss(
    _ model: LightGCN, final: Matrix, user: Int, positive: Int, negatives: [Int], t: Float, cosine: Bool
  ) -> Double {
    func unit(_ r: Int) -> [Double] {
      let row = (0..<final.cols).map { Double(final[r, $0]) }
      let length = cosine ? row.map { $0 * $0 }.reduce(0, +).squareRoot() : 1
      return row.map { $0 / length }
    }
    let u = unit(user)
    let logits = ([positive] + negatives).map { item in
      zip(u, unit(model.graph.users + item)).map(*).reduce(0, +) / Double(t)
    }
    let top = logits.max()!
    return log(logits.map { exp($0 - top) }.reduce(0, +)) + top - logits[0]
  }

  @Test(
    "the loss is the softmax cross-entropy of cosines (or dot products) over the shared negatives, and its gradient matches central finite differences",
    arguments: [
      ([Float](), 4, true), ([0.1, 0.5, 0.4], 4, true), ([1.0], 8, true), ([0.25, 0.25, 0.25, 0.25], 64, true),
      ([Float](), 4, false), ([0.25, 0.25, 0.25, 0.25], 64, false),
    ])
  func gradients(weights: [Float], dim: Int, cosine: Bool) {
    let w = weights.isEmpty ? [Float](repeating: 1.0 / 3, count: 3) : weights
    let t: Float = 0.5
    let model = LightGCN(
      matrix: matrix, dim: dim, weights: w, initStd: 0.7, seed: 5, precision: .float32,
      loss: .softmax(negatives: 3, temperature: t, cosine: cosine))
    // A repeated user, and a shared negative (item 3) that is another pair's positive.
    let users: [Int32] = [0, 1, 2, 1, 3]
    let pos: [Int32] = [1, 3, 3, 2, 4]
    let neg: [Int32] = [2, 0, 3, 4, 1]  // the first 3 are shared; the rest are not read
    let l2: Float = 0.2

    let loss = model.accumulateGradients(users: users, positives: pos, negatives: neg, l2: l2)
    let final = model.finalEmbeddings(of: model.embedding.value)
    var want = 0.0
    for b in 0..<users.count {
      want += pairLoss(
        model, final: final, user: Int(users[b]), positive: Int(pos[b]), negatives: [2, 0, 3], t: t, cosine: cosine)
    }
    let e = model.embedding.value
    let rows = users.map { Int($0) } + (pos + neg.prefix(3)).map { model.graph.users + Int($0) }
    want += 0.5 * Double(l2) * rows.map { r in (0..<dim).map { Double(e[r, $0] * e[r, $0]) }.reduce(0, +) }.reduce(0, +)
    #expect(abs(loss - want / Double(users.count)) < 1e-5, "\(loss) vs \(want / Double(users.count))")

    var g = SeededGenerator(seed: 3)
    let error = GradientCheck.parameterError(model.embedding, samples: model.embedding.count, generator: &g) {
      model.accumulateGradients(users: users, positives: pos, negatives: neg, l2: l2)
    }
    #expect(error < 1e-2, "largest relative error \(error)")
  }

  @Test("a model trained with it keeps unit-length final embeddings and ranks by cosine")
  func ranksByCosine() throws {
    var c = LightGCN.Configuration()
    c.dim = 16
    c.epochs = 3
    c.batchSize = 256
    c.evaluateEvery = 0
    c.loss = .softmax(negatives: 32, temperature: 0.2)
    let data = SyntheticData.small(users: 60, items: 40)
    let model = try LightGCN.train(on: data, configuration: c)
    let final = model.finalEmbeddings(of: model.embedding.value)
    for (table, offset) in [
      (model.output.userEmbedding.value, 0), (model.output.itemEmbedding.value, model.graph.users),
    ] {
      for r in 0..<table.rows {
        let length = (0..<16).map { table[r, $0] * table[r, $0] }.reduce(0, +).squareRoot()
        #expect(abs(length - 1) < 1e-5)
        // Same direction as the propagated row.
        let raw = (0..<16).map { final[offset + r, $0] }
        let rawLength = raw.map { $0 * $0 }.reduce(0, +).squareRoot()
        #expect((0..<16).allSatisfy { abs(table[r, $0] - raw[$0] / rawLength) < 1e-5 })
      }
    }
  }

  @Test("loss settings parse, print back, and refuse what they cannot train")
  func settings() throws {
    #expect(GraphLoss("bpr") == .bpr)
    #expect(GraphLoss("softmax:256:0.1") == .softmax(negatives: 256, temperature: 0.1))
    #expect(GraphLoss("softmax:256:0.1")?.description == "softmax:256:0.1")
    #expect(GraphLoss("softmax:64:1.0:dot") == .softmax(negatives: 64, temperature: 1, cosine: false))
    #expect(GraphLoss("softmax:64:1.0:dot")?.description == "softmax:64:1.0:dot")
    for bad in [
      "softmax", "softmax:0:0.1", "softmax:8:0", "softmax:8:-1", "softmax:x:0.1", "bce", "softmax:8:0.1:2",
      "softmax:8:0.1:cos",
    ] {
      #expect(GraphLoss(bad) == nil, "\(bad)")
    }
    var c = LightGCN.Configuration()
    c.loss = .softmax(negatives: 8, temperature: 0.1)
    #expect(c.problem == nil)
    c.quantization = QuantizationSettings(bits: 1)
    #expect(c.problem?.contains("bpr") == true)
    c.quantization = nil
    c.negatives = .dynamic(candidates: 4, epochs: nil)
    #expect(c.problem?.contains("uniformly") == true)
    c.evaluateEvery = 0
    #expect(throws: RecipeError.self) {
      try LightGCN.train(on: SyntheticData.small(users: 60, items: 40), configuration: c)
    }
  }
}
