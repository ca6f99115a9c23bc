/// Rows quantized at different widths: each row belongs to a block (`WidthBlocks`), and block
/// b's rows are `PackedCodes` of their own width. Frequent rows can so take more bits than
/// rare ones. Row r is `blocks[block[r]]`'s row `slot[r]`; rows keep their order within a block.
public struct MixedCodes: Sendable, Equatable {
  /// Dimensions per row.
  public let dim: Int
  /// The block of each row.
  public let block: [UInt8]
  /// The codes of each block's rows, in row order.
  public let blocks: [PackedCodes]
  /// The position of each row within its block.
  public let slot: [Int32]
  /// The rows of each block, ascending (`blocks[b]`'s row j is row `members[b][j]`).
  public let members: [[Int32]]

  /// Quantizes row r of `matrix` to `widths[block[r]]` bits. Preconditions: one block per
  /// row, each below `widths.count`, at most `WidthBlocks.maxBlocks` widths.
  public init(quantizing matrix: Matrix, widths: [Int], block: [UInt8]) {
    precondition(block.count == matrix.rows, "one block per row")
    let members = Self.members(of: block, blocks: widths.count)
    let blocks = zip(widths, members).map { bits, rows in
      PackedCodes(quantizing: matrix.gathering(rows), with: RowQuantizer(bits: bits))
    }
    self.init(blocks: blocks, block: block)
  }

  /// Codes from their blocks (for instance read from a model file). Preconditions: every
  /// block is `dim` wide and holds as many rows as `block` gives it.
  public init(blocks: [PackedCodes], block: [UInt8]) {
    precondition(!blocks.isEmpty && blocks.allSatisfy { $0.dim == blocks[0].dim }, "blocks of one dimension")
    precondition(blocks.count <= WidthBlocks.maxBlocks, "at most \(WidthBlocks.maxBlocks) blocks (2-bit marks)")
    let members = Self.members(of: block, blocks: blocks.count)
    precondition(zip(blocks, members).allSatisfy { $0.rows == $1.count }, "block sizes do not match")
    var slot = [Int32](repeating: 0, count: block.count)
    for rows in members {
      for (j, r) in rows.enumerated() { slot[Int(r)] = Int32(j) }
    }
    dim = blocks[0].dim
    self.block = block
    self.blocks = blocks
    self.slot = slot
    self.members = members
  }

  /// Number of rows.
  public var rows: Int { block.count }
  /// Bits of each block.
  public var widths: [Int] { blocks.map(\.bits) }

  /// The float rows the codes stand for, in row order.
  public func dequantized() -> Matrix {
    var m = Matrix(rows: rows, cols: dim)
    for (codes, rows) in zip(blocks, members) {
      let values = codes.dequantized()
      for (j, r) in rows.enumerated() {
        for c in 0..<dim { m[Int(r), c] = values[j, c] }
      }
    }
    return m
  }

  /// The widest of `widths` when every one of them divides it, so that each code can be
  /// re-expressed exactly at that width (`widened(to:)`); nil otherwise (for instance 3 and 2).
  public static func commonWidth(_ widths: [Int]) -> Int? {
    guard let widest = widths.max(), widths.allSatisfy({ widest % $0 == 0 }) else { return nil }
    return widest
  }

  /// The rows as `bits`-bit codes standing for the same values: a b-bit code u becomes
  /// u (2^bits - 1) / (2^b - 1), an integer when b divides `bits`, with the step scaled by
  /// (2^b - 1) / (2^bits - 1), so that step (u - z) is kept (to the rounding of the step).
  /// Precondition: every block's width divides `bits`.
  public func widened(to bits: Int) -> PackedCodes {
    precondition(widths.allSatisfy { bits % $0 == 0 }, "widths \(widths) do not all divide \(bits)")
    let planeWords = (dim + 63) / 64
    let top = (1 << bits) - 1
    var words = [UInt64](repeating: 0, count: rows * bits * planeWords)
    var steps = [Float](repeating: 0, count: rows)
    for r in 0..<rows {
      let codes = blocks[Int(block[r])]
      let j = Int(slot[r])
      let levels = (1 << codes.bits) - 1
      steps[r] = codes.steps[j] * Float(levels) / Float(top)
      for c in 0..<dim {
        let w = codes.code(row: j, dim: c) * (top / levels)
        for p in 0..<bits where (w >> p) & 1 == 1 { words[(r * bits + p) * planeWords + c / 64] |= 1 << UInt64(c % 64) }
      }
    }
    return PackedCodes(bits: bits, dim: dim, rows: rows, words: words, steps: steps)
  }

  /// The float rows `rows` stand for, in the order given.
  public func dequantizedRows(_ rows: [Int32]) -> Matrix {
    var m = Matrix(rows: rows.count, cols: dim)
    for (t, r) in rows.enumerated() {
      let row = blocks[Int(block[Int(r)])].dequantizedRows([slot[Int(r)]])
      for c in 0..<dim { m[t, c] = row[0, c] }
    }
    return m
  }

  /// Bytes as a model file stores them: each row's codes without padding and a step of
  /// `stepBytes` bytes, and 2 bits per row for its block.
  public func storedBytes(stepBytes: Int = 4) -> Int {
    blocks.reduce(0) { $0 + $1.rows * (PackedCodes.compactRowBytes(bits: $1.bits, dim: dim) + stepBytes) }
      + Self.blockMarkBytes(rows: rows)
  }

  /// Bytes of the 2-bit block marks of `rows` rows.
  static func blockMarkBytes(rows: Int) -> Int { (rows + 3) / 4 }

  /// The block marks packed 2 bits per row, row r at bits 2 (r % 4) of byte r / 4.
  var packedBlocks: [UInt8] {
    var out = [UInt8](repeating: 0, count: Self.blockMarkBytes(rows: rows))
    for (r, b) in block.enumerated() { out[r / 4] |= b << UInt8(2 * (r % 4)) }
    return out
  }

  /// The marks of `rows` rows from their packed form.
  static func unpackBlocks(_ bytes: [UInt8], rows: Int) -> [UInt8] {
    (0..<rows).map { r in (bytes[r / 4] >> UInt8(2 * (r % 4))) & 3 }
  }

  /// The rows of each of `blocks` blocks, ascending.
  private static func members(of block: [UInt8], blocks: Int) -> [[Int32]] {
    var members = [[Int32]](repeating: [], count: blocks)
    for (r, b) in block.enumerated() {
      precondition(Int(b) < blocks, "row \(r) is in block \(b) of \(blocks)")
      members[Int(b)].append(Int32(r))
    }
    return members
  }
}
