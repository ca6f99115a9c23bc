import Foundation
import Testing

@testable import CompactRecKit

@Suite("Sequential models")
struct SequentialModelTests {
  @Test("SequenceBatch: teacher-forced pairs, left padding, the length cap, histories")
  func batches() {
    let b = SequenceBatch(training: [[1, 2, 3], [4, 5, 6, 7, 8], [9]], maxLength: 3, padding: 0)
    let none = SoftmaxCrossEntropy.noTarget
    #expect(b.inputs == [0, 1, 2, 5, 6, 7, 0, 0, 0])
    #expect(b.targets == [none, 2, 3, 6, 7, 8, none, none, none])
    #expect(b.valid == [false, true, true, true, true, true, false, false, false])
    let h = SequenceBatch(histories: [[1, 2], [3, 4, 5, 6], []], maxLength: 3, padding: 0)
    #expect(h.inputs == [0, 1, 2, 4, 5, 6, 0, 0, 0])
    #expect(h.valid == [false, true, true, true, true, true, false, false, false])
    #expect(h.targets.allSatisfy { $0 == none })
    // The window is the longest sequence's when that is shorter than the cap.
    #expect(SequenceBatch(training: [[1, 2, 3], [4, 5]], maxLength: 50, padding: 0).length == 2)
    #expect(SequenceBatch(histories: [[1], [2, 3]], maxLength: 50, padding: 0).length == 2)
  }

  /// Models under test: an architecture, optionally with CpRec's block-wise layers and a
  /// sharing scheme ("architecture/blockwise/sharing"), or with a tied output ("/tied").
  static let variants = [
    "nextitnet", "gru4rec", "sasrec", "nextitnet/both/cross-layer", "nextitnet/input/cross-block",
    "nextitnet/output/adjacent-layer", "nextitnet/both/adjacent-block", "gru4rec/both", "sasrec/both/cross-layer",
    "sasrec/output/cross-block", "sasrec/input/adjacent-block", "sasrec/tied", "gru4rec/tied",
  ]

  /// A small model of a variant; block-wise layers get three blocks (1, 2 and the rest of the
  /// items, in reverse index order) of widths d, d/2, d/4.
  @Test("the bce loss (one sampled negative per position) learns a next-item rule", arguments: ["sasrec", "nextitnet"])
  func bceLearnsARule(kind: String) {
    // 40 items, so a window's items leave most of them as negatives; item i is followed by
    // (3 i + 1) mod 40.
    let items = 40
    let next = { (i: Int32) in (3 * i + 1) % Int32(items) }
    let sequences: [[Int32]] = (0..<items).map { k in
      var s: [Int32] = [Int32(k)]
      for _ in 0..<6 { s.append(next(s.last!)) }
      return s
    }
    let model = Self.model(kind + "/bce", items: items, width: 16, length: 6, seed: 9)
    let adam = Adam(learningRate: 1e-2)
    let batch = SequenceBatch(training: sequences, maxLength: 6, padding: Int32(items))
    for _ in 0..<200 { _ = model.step(batch, optimizer: adam, clipNorm: 5) }
    let histories = (0..<items).map { start in [Int32(start), next(Int32(start))] }
    let top = model.recommend(histories.map { ScoringQuery(user: nil, history: $0) }, k: 1)
    let right = zip(histories, top).filter { $1.items == [next($0[1])] }.count
    #expect(right >= items * 3 / 4, "\(kind): \(right) of \(items) (chance: 1 in 38)")
  }

  @Test("no hidden state sees a later item (teacher forcing cannot leak the target)", arguments: variants)
  func causality(kind: String) {
    let model = Self.model(kind, items: 9, width: 8, length: 6, seed: 8)
    let before = SequenceBatch(training: [[1, 2, 3, 4, 5, 6, 7], [8, 0, 4]], maxLength: 6, padding: 9)
    var after = before
    after.inputs[4] = 0  // the first sequence's fifth input (position 4) changes
    let h1 = model.hidden(before)
    let h2 = model.hidden(after)
    let w = h1.cols
    for position in 0..<12 {
      let same = (0..<w).allSatisfy { h1[position, $0] == h2[position, $0] }
      #expect(same == !(4...5).contains(position), "\(kind) position \(position)")
    }
  }

  @Test("bce negatives: one per target, never an item of the sequence's window, seeded")
  func sampledNegatives() {
    let batch = SequenceBatch(training: [[1, 2, 3, 4], [5, 6]], maxLength: 3, padding: 9)
    var g = SeededGenerator(seed: 1)
    let negatives = batch.sampledNegatives(items: 9, generator: &g)
    for p in 0..<6 {
      if batch.targets[p] == SoftmaxCrossEntropy.noTarget {
        #expect(negatives[p] == SoftmaxCrossEntropy.noTarget)
      } else {
        let window = p < 3 ? Set<Int32>([1, 2, 3, 4]) : [5, 6]
        #expect(negatives[p] >= 0 && negatives[p] < 9 && !window.contains(negatives[p]), "position \(p)")
      }
    }
    var again = SeededGenerator(seed: 1)
    #expect(batch.sampledNegatives(items: 9, generator: &again) == negatives)
  }

  static func model(_ variant: String, items: Int, width: Int, length: Int, seed: UInt64) -> SequentialModel {
    let parts = variant.split(separator: "/").map(String.init)
    var c = SequentialConfiguration(architecture: SequentialArchitecture(rawValue: parts[0])!)
    c.dim = width
    c.maxLength = length
    c.dilations = [1, 2, 4]
    c.blocks = 3
    c.heads = 2
    c.dropout = 0
    c.seed = seed
    if parts.count > 1 {
      switch parts[1] {
      case "tied": c.tiedOutput = true
      case "bce": c.loss = .bce
      default: c.blockwise = BlockwiseLayers(rawValue: parts[1])!
      }
    }
    if parts.count > 2 { c.sharing = LayerSharing(rawValue: parts[2])! }
    c.blockFactor = 2
    let blocks = FrequencyBlocks(order: (0..<Int32(items)).reversed(), ends: [1, 3, items])
    return c.makeModel(items: items, blocks: c.blockwise == .none ? nil : blocks)
  }

  @Test("whole-model gradients match finite differences of the batch loss", arguments: variants)
  func wholeModelGradients(kind: String) {
    let model = Self.model(kind, items: 7, width: 4, length: 5, seed: 3)
    let batch = SequenceBatch(training: [[0, 1, 2, 3, 4, 5, 6], [2, 6, 1], [5, 5, 3, 0]], maxLength: 5, padding: 7)
    var g = SeededGenerator(seed: 4)
    // Non-zero biases: a zero bias makes a padding row exactly zero before a LayerNorm, where
    // the normalization is not smooth on the scale of a finite difference.
    for p in model.parameters where p.name.hasSuffix("bias") || p.name.hasSuffix("shift") {
      p.value = Matrix(rows: p.value.rows, cols: p.value.cols, gaussianStd: 0.5, generator: &g)
    }
    model.zeroGradients()
    _ = model.lossAndGradients(batch)
    let output = model.output
    let loss = {
      // The loss alone: the output layer's gradient accumulators are put back after the call.
      let kept = output.parameters.map(\.grad)
      defer { for (p, g) in zip(output.parameters, kept) { p.grad = g } }
      return Double(output.lossAndGradient(model.hidden(batch), targets: batch.targets).loss)
    }
    // The loss is a Float sum through every layer (noise about 1e-6), so gradients under the
    // 3e-2 floor are compared in absolute terms; eps is small because shared layers make the
    // loss strongly curved (SASRec with one projection everywhere).
    for p in model.parameters {
      let error = GradientCheck.parameterError(p, samples: 12, eps: 1e-3, floor: 3e-2, generator: &g, loss: loss)
      #expect(error < 3e-2, "\(kind) \(p.name): \(error)")
    }
  }

  @Test("each model learns a deterministic next-item rule", arguments: variants)
  func learnsARule(kind: String) {
    // Item i is followed by (3 i + 1) mod 11; sequences start anywhere.
    let items = 11
    let next = { (i: Int32) in (3 * i + 1) % Int32(items) }
    // Long and short sequences, so training sees padded windows like the queries below.
    let sequences: [[Int32]] = (0..<(2 * items)).map { k in
      var s: [Int32] = [Int32(k % items)]
      for _ in 0..<(k < items ? 7 : 2) { s.append(next(s.last!)) }
      return s
    }
    let model = Self.model(kind, items: items, width: 16, length: 6, seed: 9)
    let adam = Adam(learningRate: 1e-2)
    let batch = SequenceBatch(training: sequences, maxLength: 6, padding: Int32(items))
    var loss: Float = 0
    for _ in 0..<150 { loss = model.step(batch, optimizer: adam, clipNorm: 5) }
    #expect(loss < 0.2, "\(kind) loss \(loss)")
    // Three-item histories (padded to six) from every start: the next item is the rule's.
    let histories = (0..<items).map { start in [Int32(start), next(Int32(start)), next(next(Int32(start)))] }
    let top = model.recommend(histories.map { ScoringQuery(user: nil, history: $0) }, k: 1)
    for (h, r) in zip(histories, top) { #expect(r.items == [next(h[2])], "\(kind) after \(h)") }
  }

  @Test(
    "a history scores the same alone and beside a longer one (padding does not leak)", arguments: variants)
  func paddingInvariance(kind: String) {
    let model = Self.model(kind, items: 9, width: 8, length: 6, seed: 5)
    for p in model.parameters where p.name.hasSuffix("bias") || p.name.hasSuffix("shift") {
      var g = SeededGenerator(seed: 6)
      p.value = Matrix(rows: p.value.rows, cols: p.value.cols, gaussianStd: 0.5, generator: &g)
    }
    let short = ScoringQuery(user: nil, history: [3, 1])
    let long = ScoringQuery(user: nil, history: [0, 2, 4, 6, 8])
    var alone = [Float](repeating: 0, count: 9)
    var paired = [Float](repeating: 0, count: 18)
    model.score([short][...], into: &alone)
    model.score([long, short][...], into: &paired)
    for j in 0..<9 { #expect(abs(alone[j] - paired[9 + j]) < 1e-4, "\(kind) item \(j)") }
  }

  @Test(
    "a trained sequential model round-trips through a .crm file and scores the same", arguments: variants)
  func roundTrip(kind: String) throws {
    let model = Self.model(kind, items: 5, width: 8, length: 4, seed: 7)
    let adam = Adam(learningRate: 1e-2)
    let batch = SequenceBatch(training: [[0, 1, 2, 3, 4], [4, 3, 2]], maxLength: 4, padding: 5)
    for _ in 0..<3 { _ = model.step(batch, optimizer: adam, clipNorm: nil) }
    let data = Dataset(
      name: "t", users: IDMap(ids: ["u", "v"]), items: IDMap(ids: ["a", "b", "c", "d", "e"]),
      train: [[0, 1, 2, 3], [4, 3]], test: [[4], [2]])
    let path = NSTemporaryDirectory() + "crm-\(UUID().uuidString).crm"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try TrainedModel(model: model, dataset: data).save(to: path)
    let loaded = try TrainedModel.load(from: path)
    #expect(loaded.kind == "sequential")
    let back = try #require(loaded.model as? SequentialModel)
    #expect(back.configuration.architecture == model.configuration.architecture)
    #expect(back.configuration.dilations == [1, 2, 4] && back.configuration.sharing == model.configuration.sharing)
    #expect(back.configuration.blockwise == model.configuration.blockwise && back.blocks == model.blocks)
    #expect(back.parameters.count == model.parameters.count)
    let queries = [ScoringQuery(user: nil, history: [1, 2]), ScoringQuery(user: nil, history: [4, 0, 3, 3, 1])]
    var before = [Float](repeating: 0, count: 10)
    var after = [Float](repeating: 0, count: 10)
    model.score(queries[...], into: &before)
    back.score(queries[...], into: &after)
    #expect(before == after)
    // Each component's tensors carry their prefix for inspect; block-wise models add their
    // frequency order.
    let prefixes = Set(back.tensors().map { String($0.name.split(separator: "/")[0]) })
    #expect(
      prefixes == (model.blocks == nil ? ["input", "middle", "output"] : ["input", "middle", "output", "blocks"]))
  }
}
