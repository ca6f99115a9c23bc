import Foundation
import Testing

@testable import CompactRecKit

@Suite("RowQuantizer")
struct RowQuantizerTests {
  @Test("the Gaussian-optimal steps match Max's (1960) table for 2, 3 and 4 bits")
  func maxTable() {
    #expect(abs(RowQuantizer.gaussianStep(bits: 2) - 0.9957) < 2e-3)
    #expect(abs(RowQuantizer.gaussianStep(bits: 3) - 0.5860) < 2e-3)
    #expect(abs(RowQuantizer.gaussianStep(bits: 4) - 0.3352) < 2e-3)
    let s8 = RowQuantizer.gaussianStep(bits: 8)
    #expect(s8 > 0.01 && s8 < 0.05)
  }

  @Test("1 bit is sign(x) times mean |x|, with sign(0) = +1")
  func oneBit() {
    let row: [Float] = [0.5, -1.5, 0, 2, -1]
    let mean: Float = 5.0 / 5
    var codes = [UInt8](repeating: 9, count: 5)
    var values = [Float](repeating: 9, count: 5)
    let step = row.withUnsafeBufferPointer { r in
      RowQuantizer(bits: 1).quantize(r.baseAddress!, count: 5, codes: &codes, dequantized: &values)
    }
    #expect(step == 2 * mean)
    #expect(codes == [1, 0, 1, 1, 0])
    #expect(values == [mean, -mean, mean, mean, -mean])
  }

  @Test("b-bit codes are in range, values sit on the levels, error falls with more bits", arguments: [2, 3, 4, 8])
  func levels(bits: Int) {
    var g = SeededGenerator(seed: UInt64(bits))
    let d = 256
    let row = (0..<d).map { _ in 0.3 * g.gaussian() }
    let q = RowQuantizer(bits: bits)
    var codes = [UInt8](repeating: 0, count: d)
    var values = [Float](repeating: 0, count: d)
    let step = row.withUnsafeBufferPointer {
      q.quantize($0.baseAddress!, count: d, codes: &codes, dequantized: &values)
    }
    let rms = (row.map { $0 * $0 }.reduce(0, +) / Float(d)).squareRoot()
    #expect(abs(step - RowQuantizer.gaussianStep(bits: bits) * rms) < 1e-6)
    for c in 0..<d {
      #expect(Int(codes[c]) < q.levels)
      #expect(values[c] == step * (Float(codes[c]) - q.zeroPoint))
      // Inside the clipping range, the nearest level is chosen.
      if abs(row[c]) < step * q.zeroPoint { #expect(abs(values[c] - row[c]) <= step / 2 + 1e-6) }
    }
    let error = zip(row, values).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Float(d) / (rms * rms)
    // Relative mean squared error near the Gaussian optimum (0.1175 at 2 bits, 0.0374 at 3,
    // 0.0115 at 4; far smaller at 8), with slack for a finite sample.
    let bound: [Int: Float] = [2: 0.16, 3: 0.06, 4: 0.02, 8: 0.001]
    #expect(error < bound[bits]!)
  }

  @Test("a zero row quantizes to zeros")
  func zeroRow() {
    let row = [Float](repeating: 0, count: 8)
    for bits in RowQuantizer.supportedBits {
      var values = [Float](repeating: 9, count: 8)
      let step = row.withUnsafeBufferPointer {
        RowQuantizer(bits: bits).quantize($0.baseAddress!, count: 8, codes: nil, dequantized: &values)
      }
      #expect(step == 0)
      #expect(values.allSatisfy { $0 == 0 })
    }
  }
}

@Suite("PackedCodes")
struct PackedCodesTests {
  @Test(
    "bit-plane dot products and row norms equal those of the dequantized rows",
    arguments: [(1, 64), (1, 70), (2, 64), (3, 100), (4, 64), (8, 130)])
  func dotProducts(bits: Int, dim: Int) {
    var g = SeededGenerator(seed: UInt64(bits * 1000 + dim))
    let q = RowQuantizer(bits: bits)
    let users = PackedCodes(quantizing: Matrix(rows: 5, cols: dim, gaussianStd: 0.2, generator: &g), with: q)
    let items = PackedCodes(quantizing: Matrix(rows: 7, cols: dim, gaussianStd: 0.3, generator: &g), with: q)
    let du = users.dequantized()
    let di = items.dequantized()
    for a in 0..<5 {
      for b in 0..<7 {
        var want = 0.0
        for c in 0..<dim { want += Double(du[a, c]) * Double(di[b, c]) }
        let got = users.dot(row: a, with: items, row: b)
        #expect(abs(Double(got) - want) <= 1e-5 * max(1, abs(want)), "rows \(a), \(b)")
      }
    }
    for (a, norm) in users.norms().enumerated() {
      var want = 0.0
      for c in 0..<dim { want += Double(du[a, c]) * Double(du[a, c]) }
      #expect(abs(Double(norm) - want.squareRoot()) <= 1e-6 * max(1, want.squareRoot()), "row \(a)")
    }
  }

  @Test("packing keeps the quantizer's codes and steps; padding bits stay zero")
  func packing() {
    var g = SeededGenerator(seed: 11)
    let m = Matrix(rows: 3, cols: 70, gaussianStd: 1, generator: &g)
    let q = RowQuantizer(bits: 3)
    let packed = PackedCodes(quantizing: m, with: q)
    #expect(packed.wordsPerPlane == 2 && packed.words.count == 3 * 3 * 2)
    var codes = [UInt8](repeating: 0, count: 70)
    for r in 0..<3 {
      let step = m.withUnsafePointer { q.quantize($0 + r * 70, count: 70, codes: &codes, dequantized: nil) }
      #expect(packed.steps[r] == step)
      for c in 0..<70 { #expect(packed.code(row: r, dim: c) == Int(codes[c])) }
      #expect(packed.codeSums[r] == Int32(codes.map(Int.init).reduce(0, +)))
      for j in 0..<3 { #expect(packed.words[(r * 3 + j) * 2 + 1] >> 6 == 0) }
    }
  }
}

@Suite("CodeSearchIndex")
struct CodeSearchIndexTests {
  @Test(
    "exact search over codes equals brute-force scoring with the same exclusions and tie order",
    arguments: [
      (1, 64), (1, 16), (1, 70), (1, 130), (1, 256), (2, 64), (2, 16), (2, 30), (3, 64), (3, 70), (3, 700), (4, 40),
      (4, 64), (4, 128), (4, 200), (8, 64), (8, 37), (8, 300), (2, 3700),
    ])
  func equalsBruteForce(bits: Int, dim: Int) {
    var g = SeededGenerator(seed: UInt64(bits * 100 + dim))
    let q = RowQuantizer(bits: bits)
    // Items with spread-out norms (as trained embeddings have), so the bound prunes.
    var itemRows = Matrix(rows: 1000, cols: dim, gaussianStd: 1, generator: &g)
    for r in 0..<1000 {
      let scale = 0.2 + Float(r % 17) / 5
      for c in 0..<dim { itemRows[r, c] *= scale }
    }
    let items = PackedCodes(quantizing: itemRows, with: q)
    let users = PackedCodes(quantizing: Matrix(rows: 50, cols: dim, gaussianStd: 1, generator: &g), with: q)
    let exclude = (0..<50).map { u in (0..<(u % 7)).map { _ in Int32(g.next() % 1000) } }
    let model = QuantizedEmbeddings(users: users, items: items, layers: 0)
    let queries = (0..<50).map { ScoringQuery(user: Int32($0), exclude: exclude[$0]) }
    let brute = BruteForceSearch.search(model, queries, k: 20).rankings
    let index = CodeSearchIndex(items: items)
    let fast = index.search(users, k: 20, filters: queries.map(\.filter)).rankings
    #expect(fast == brute)
    #expect(model.recommend(queries, k: 20) == brute)
  }

  @Test(
    "search over several item tiles and user batches equals brute force, with tied items and a zero user",
    arguments: [(1, 64), (1, 37), (1, 200), (2, 64), (3, 50), (4, 64), (8, 64)])
  func tiles(bits: Int, dim: Int) {
    var g = SeededGenerator(seed: UInt64(dim + bits))
    let q = RowQuantizer(bits: bits)
    // 2,300 items (nine groups of 256, the last one partial); every fifth item repeats an
    // earlier one exactly, so equal scores are common and the lower index must win.
    var itemRows = Matrix(rows: 2300, cols: dim, gaussianStd: 1, generator: &g)
    for r in 0..<2300 {
      let scale = 0.5 + Float(r % 23) / 10
      for c in 0..<dim { itemRows[r, c] = r % 5 == 4 ? itemRows[r / 2, c] : itemRows[r, c] * scale }
    }
    let items = PackedCodes(quantizing: itemRows, with: q)
    var userRows = Matrix(rows: 150, cols: dim, gaussianStd: 1, generator: &g)
    for c in 0..<dim { userRows[0, c] = 0 }
    let users = PackedCodes(quantizing: userRows, with: q)
    #expect(users.steps[0] == 0)
    let exclude = (0..<150).map { u in (0..<(u % 40)).map { _ in Int32(g.next() % 2300) } }
    let model = QuantizedEmbeddings(users: users, items: items, layers: 0)
    let queries = (0..<150).map { ScoringQuery(user: Int32($0), exclude: exclude[$0]) }
    for k in [1, 20, 300] {
      let brute = BruteForceSearch.search(model, queries, k: k).rankings
      #expect(CodeSearchIndex(items: items).search(users, k: k, filters: queries.map(\.filter)).rankings == brute)
    }
  }

  @Test(
    "compact bytes hold every code without padding and read back to the same codes",
    arguments: [(1, 8), (2, 8), (3, 13), (4, 64), (8, 70), (2, 128)])
  func compactBytes(bits: Int, dim: Int) {
    var g = SeededGenerator(seed: UInt64(bits * 1000 + dim))
    let m = Matrix(rows: 9, cols: dim, gaussianStd: 1, generator: &g)
    let codes = PackedCodes(quantizing: m, with: RowQuantizer(bits: bits))
    let bytes = codes.compactBytes
    #expect(bytes.count == 9 * ((bits * dim + 7) / 8))
    // Bit t of a row is code bit t / dim of dimension t % dim.
    for r in 0..<9 {
      for t in 0..<(bits * dim) {
        let bit = (bytes[r * ((bits * dim + 7) / 8) + t / 8] >> UInt8(t % 8)) & 1
        #expect(Int(bit) == (codes.code(row: r, dim: t % dim) >> (t / dim)) & 1)
      }
    }
    let back = PackedCodes(bits: bits, dim: dim, rows: 9, compactBytes: bytes, steps: codes.steps)
    #expect(back.words == codes.words && back.codeSums == codes.codeSums)
    #expect(back.dequantized() == codes.dequantized())
  }
}
