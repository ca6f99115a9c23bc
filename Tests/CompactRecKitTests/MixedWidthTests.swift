import Foundation
import Testing

@testable import CompactRecKit

@Suite("Frequency-aware widths for LightGCN (mixed-width codes)")
struct MixedWidthTests {
  private let matrix: InteractionMatrix = {
    var g = SeededGenerator(seed: 9)
    // Skewed: low item numbers are drawn far more often, so the frequency blocks differ in size.
    let rows = (0..<40).map { _ in
      Array(Set((0..<6).map { _ in Int32((g.next() % 30) * (g.next() % 30) / 30) })).sorted()
    }
    return InteractionMatrix(rows: rows, columnCount: 30)
  }()

  private func random(_ rows: Int, _ cols: Int, seed: UInt64) -> Matrix {
    var g = SeededGenerator(seed: seed)
    return Matrix(rows: rows, cols: cols, gaussianStd: 1, generator: &g)
  }

  @Test("blocks follow the interaction counts: shares of the interactions, or item ranks scaled for users")
  func blocks() throws {
    let counts = [10, 1, 5, 3]  // 19 interactions; by frequency: 0, 2, 3, 1
    #expect(try WidthBlocks(bits: [4, 1], shares: [0.5, 0.5]).blocks(counts: counts, itemCount: 4) == [0, 1, 1, 1])
    #expect(try WidthBlocks(bits: [4, 1], shares: [0.8, 0.2]).blocks(counts: counts, itemCount: 4) == [0, 1, 0, 0])
    #expect(try WidthBlocks(bits: [4, 2, 1], cutoffs: [1, 3]).blocks(counts: counts, itemCount: 4) == [0, 2, 1, 1])
    // Eight users against four items: the cutoff at item rank 2 cuts the users at rank 4.
    let users = [1, 9, 2, 8, 3, 7, 4, 6]
    #expect(
      try WidthBlocks(bits: [4, 1], cutoffs: [2]).blocks(counts: users, itemCount: 4) == [1, 0, 1, 0, 1, 0, 1, 0])
    #expect(throws: FrequencyBlocksError.badWidths([5, 1], most: 4)) {
      try WidthBlocks(bits: [5, 1]).blocks(counts: counts, itemCount: 4)
    }
    #expect(throws: FrequencyBlocksError.badWidths([1, 1, 1, 1, 1], most: 4)) {
      try WidthBlocks(bits: [1, 1, 1, 1, 1]).blocks(counts: counts, itemCount: 4)
    }
    #expect(throws: FrequencyBlocksError.countMismatch(widths: 2, blocks: 3)) {
      try WidthBlocks(bits: [4, 1], shares: [0.5, 0.3, 0.2]).blocks(counts: counts, itemCount: 4)
    }
    #expect(throws: FrequencyBlocksError.tooFewRows(blocks: 3, rows: 2)) {
      try WidthBlocks(bits: [4, 2, 1]).blocks(counts: [3, 1], itemCount: 4)
    }
    #expect(throws: FrequencyBlocksError.badCutoffs([4], items: 4)) {
      try WidthBlocks(bits: [4, 1], cutoffs: [4]).blocks(counts: counts, itemCount: 4)
    }
  }

  @Test("scores equal the dequantized dot products; search is exact top-k under filters, at every width pair")
  func search() throws {
    // Widths that nest are searched re-expressed at the widest; 3 with 8 takes the mixed kernel.
    for (userWidths, itemWidths, dim, widened) in [
      ([2, 1], [4, 1], 64, true), ([8], [8, 3, 1], 70, false), ([1, 4], [2], 130, true), ([3, 1], [1, 2], 64, false),
    ] {
      var g = SeededGenerator(seed: UInt64(dim))
      let userBlocks = (0..<25).map { _ in UInt8(g.next() % UInt64(userWidths.count)) }
      let itemBlocks = (0..<300).map { _ in UInt8(g.next() % UInt64(itemWidths.count)) }
      let users = MixedCodes(quantizing: random(25, dim, seed: 1), widths: userWidths, block: userBlocks)
      // Norms that fall with the item number, as popularity makes them, so that the bound bites.
      var itemRows = random(300, dim, seed: 2)
      for i in 0..<300 {
        for c in 0..<dim { itemRows[i, c] *= exp(-Float(i) / 20) }
      }
      let items = MixedCodes(quantizing: itemRows, widths: itemWidths, block: itemBlocks)
      let model = MixedWidthEmbeddings(users: users, items: items, layers: 3)
      #expect(model.searchesWidenedCodes == widened)
      let du = users.dequantized()
      let di = items.dequantized()
      let queries = (0..<25).map { u in
        ScoringQuery(user: Int32(u), exclude: (0..<8).map { _ in Int32(g.next() % 300) })
      }
      var scores = [Float](repeating: 0, count: 25 * 300)
      scores.withUnsafeMutableBufferPointer { model.score(queries[...], into: $0.baseAddress!) }
      for u in 0..<25 {
        for i in 0..<300 {
          var exact = 0.0
          for c in 0..<dim { exact += Double(du[u, c]) * Double(di[i, c]) }
          #expect(abs(Double(scores[u * 300 + i]) - exact) <= 1e-5 * max(1, abs(exact)))
        }
      }
      for k in [1, 10, 300] {
        let result = model.search(queries, k: k)
        for (u, query) in queries.enumerated() {
          var want = TopList(k: k)
          for i in 0..<300 where query.filter.admits(Int32(i)) { want.offer(Int32(i), scores[u * 300 + i]) }
          #expect(result.rankings[u] == want.ranking, "widths \(userWidths)/\(itemWidths), user \(u), k \(k)")
        }
      }
      // The mixed kernel's bound skips part of the scan for a small k.
      if !widened { #expect(model.search(queries, k: 1).statistics.scanned < 25 * 300) }
      let history = [ScoringQuery(user: nil, history: [3, 9, 27], exclude: [1])]
      var historyScores = [Float](repeating: 0, count: 300)
      historyScores.withUnsafeMutableBufferPointer { model.score(history[...], into: $0.baseAddress!) }
      var want = TopList(k: 10)
      for i in 0..<300 where i != 1 { want.offer(Int32(i), historyScores[i]) }
      #expect(model.search(history, k: 10).rankings[0] == want.ranking)
    }
  }

  @Test(
    "at one width, the mixed kernel's search equals the uniform code search exactly; widened codes keep every value")
  func sameAsUniform() throws {
    for bits in [1, 2, 4, 8] {
      let userCodes = PackedCodes(quantizing: random(20, 64, seed: 3), with: RowQuantizer(bits: bits))
      let itemCodes = PackedCodes(quantizing: random(200, 64, seed: 4), with: RowQuantizer(bits: bits))
      let uniform = CodeSearchIndex(items: itemCodes)
      let mixed = MixedCodeSearchIndex(items: MixedCodes(blocks: [itemCodes], block: [UInt8](repeating: 0, count: 200)))
      let filters = (0..<20).map { ItemFilter(exclude: [Int32($0)]) }
      let norms = userCodes.norms()
      let queries = (0..<20).map { MixedCodeSearchIndex.Query(userCodes, row: $0, norm: norms[$0]) }
      #expect(
        mixed.search(queries, k: 20, filters: filters).rankings
          == uniform.search(userCodes, k: 20, filters: filters).rankings, "\(bits) bits")
    }
    let codes = MixedCodes(
      quantizing: random(50, 70, seed: 5), widths: [8, 4, 2, 1], block: (0..<50).map { UInt8($0 % 4) })
    let wide = codes.widened(to: 8)
    #expect(wide.bits == 8)
    let (a, b) = (codes.dequantized(), wide.dequantized())
    for r in 0..<50 {
      for c in 0..<70 { #expect(abs(a[r, c] - b[r, c]) <= 1e-6 * max(1, abs(a[r, c]))) }
    }
    #expect(MixedCodes.commonWidth([8, 2, 1]) == 8 && MixedCodes.commonWidth([3, 1]) == 3)
    #expect(MixedCodes.commonWidth([3, 2]) == nil && MixedCodes.commonWidth([8, 3]) == nil)
  }

  @Test("training gives each frequency block its width; the deployable model holds only their codes")
  func training() throws {
    var settings = QuantizationSettings(bits: 4, estimator: .ste)
    settings.blocks = WidthBlocks(bits: [4, 1], shares: [0.5, 0.5])
    let model = LightGCN(
      matrix: matrix, dim: 64, weights: [0.5, 0.5], initStd: 0.3, seed: 2, precision: .float32,
      quantization: settings)
    let users = (0..<40).map { Int32($0) }
    let positives = users.map { matrix.row(Int($0)).first! }
    let negatives = users.map { Int32((Int($0) * 7) % 30) }
    let loss = model.accumulateGradients(users: users, positives: positives, negatives: negatives, l2: 0)
    #expect(loss.isFinite)
    let deployed = try #require(model.deployable() as? MixedWidthEmbeddings)
    #expect(deployed.items.widths == [4, 1] && deployed.users.widths == [4, 1])
    let counts = matrix.columnCounts()
    let head = deployed.items.members[0].map { counts[Int($0)] }
    let tail = deployed.items.members[1].map { counts[Int($0)] }
    #expect(!head.isEmpty && !tail.isEmpty && head.min()! >= tail.max()!)
    #expect(deployed.tensors().allSatisfy { !$0.name.contains("embedding") })
    // The model trains on what it deploys: its float scorer is the dequantized codes.
    #expect(model.output.itemEmbedding.value == deployed.items.dequantized())

    // Users at one width of their own, items by frequency.
    settings.blocks?.userBits = [2]
    let uniformUsers = LightGCN(
      matrix: matrix, dim: 64, weights: [0.5, 0.5], initStd: 0.3, seed: 2, precision: .float32,
      quantization: settings)
    let deployedUniform = try #require(uniformUsers.deployable() as? MixedWidthEmbeddings)
    #expect(deployedUniform.users.widths == [2] && deployedUniform.users.block.allSatisfy { $0 == 0 })
    #expect(deployedUniform.items.widths == [4, 1])
    #expect(throws: FrequencyBlocksError.countMismatch(widths: 2, blocks: 3)) {
      try WidthBlocks(bits: [4, 1], userBits: [2, 2, 1]).userBlocks(counts: [3, 2, 1], itemCount: 4)
    }
  }

  @Test("a mixed-width model file round-trips, counts its bytes and refuses bad block marks and steps")
  func persistence() throws {
    let users = MixedCodes(
      quantizing: random(40, 70, seed: 5), widths: [2, 1], block: (0..<40).map { UInt8($0 % 3 == 0 ? 0 : 1) })
    let items = MixedCodes(
      quantizing: random(30, 70, seed: 6), widths: [8, 4, 1], block: (0..<30).map { UInt8($0 % 3) })
    let model = MixedWidthEmbeddings(users: users, items: items, layers: 2)
    let file = ModelFile(
      kind: MixedWidthEmbeddings.kind, hyperParameters: model.hyperParameters, userIDs: (0..<40).map(String.init),
      itemIDs: (0..<30).map(String.init), tensors: model.tensors())
    let loaded = try MixedWidthEmbeddings(file: file)
    #expect(loaded.users == users && loaded.items == items && loaded.layers == 2)
    #expect(model.parameterCount == (40 + 30) * (70 + 1))
    // 10 rows of 8-bit codes (70 bytes), 10 of 4-bit (35), 10 of 1-bit (9), a step each, 2 bits a mark.
    #expect(items.storedBytes() == 10 * (70 + 35 + 9) + 30 * 4 + 8)
    #expect(file.tensors.filter { $0.name.hasPrefix("item/") }.reduce(0) { $0 + $1.bytes.count } == items.storedBytes())
    var marks = file
    let i = marks.tensors.firstIndex { $0.name == "item/blocks" }!
    var bytes = try marks.tensors[i].uint8s()
    bytes[0] |= 3  // row 0 in block 3 of 3
    marks.tensors[i] = Tensor(name: "item/blocks", shape: marks.tensors[i].shape, uint8: bytes)
    #expect(throws: ModelFileError.self) { try MixedWidthEmbeddings(file: marks) }
    var steps = file
    let s = steps.tensors.firstIndex { $0.name == "user/block1/steps" }!
    var values = try steps.tensors[s].floats()
    values[2] = -.infinity
    steps.tensors[s] = Tensor(name: "user/block1/steps", shape: steps.tensors[s].shape, floats: values)
    #expect(throws: ModelFileError.self) { try MixedWidthEmbeddings(file: steps) }
    var widths = file
    widths.hyperParameters["block_bits"] = [8, 5, 1]
    #expect(throws: ModelFileError.self) { try MixedWidthEmbeddings(file: widths) }
  }

  @Test("8-bit steps: a byte a row and a range per block; the file round-trips and the model scores with them")
  func eightBitSteps() throws {
    let users = MixedCodes(quantizing: random(40, 64, seed: 7), widths: [2, 1], block: (0..<40).map { UInt8($0 % 2) })
    let items = MixedCodes(quantizing: random(30, 64, seed: 8), widths: [4, 1], block: (0..<30).map { UInt8($0 % 2) })
    let model = MixedWidthEmbeddings(users: users, items: items, layers: 1, stepBits: 8)
    for (exact, rounded) in zip(items.blocks + users.blocks, model.items.blocks + model.users.blocks) {
      #expect(exact.words == rounded.words)
      for (a, b) in zip(exact.steps, rounded.steps) { #expect(abs(a - b) <= 0.01 * a) }
    }
    let file = ModelFile(
      kind: MixedWidthEmbeddings.kind, hyperParameters: model.hyperParameters, userIDs: (0..<40).map(String.init),
      itemIDs: (0..<30).map(String.init), tensors: model.tensors())
    let loaded = try MixedWidthEmbeddings(file: file)
    #expect(loaded.items == model.items && loaded.users == model.users)
    #expect(loaded.logSteps?.items == model.logSteps?.items && loaded.logSteps?.users == model.logSteps?.users)
    // 15 items of 4-bit codes (32 bytes) and 15 of 1-bit (8), a byte of step each, two ranges, marks.
    #expect(model.itemBytes == 15 * 33 + 15 * 9 + 2 * 8 + 8)
    #expect(file.tensors.filter { $0.name.hasPrefix("item/") }.reduce(0) { $0 + $1.bytes.count } == model.itemBytes)
    let queries = (0..<40).map { ScoringQuery(user: Int32($0)) }
    #expect(loaded.search(queries, k: 5).rankings == model.search(queries, k: 5).rankings)
    var range = file
    let r = range.tensors.firstIndex { $0.name == "item/block0/step_range" }!
    range.tensors[r] = Tensor(name: "item/block0/step_range", shape: [2], floats: [1, .nan])
    #expect(throws: ModelFileError.self) { try MixedWidthEmbeddings(file: range) }
  }
}
