/// Frequency-aware bit widths for LightGCN's codes: users and items are each ordered by their
/// training interactions and cut into blocks the way CpRec cuts items (`FrequencyBlocks`), and
/// the rows of block b are quantized to `bits[b]` bits, so that frequent users and items get
/// more bits than rare ones.
public struct WidthBlocks: Sendable, Equatable, Codable {
  /// Bits of each block, head first: 1, 2, 3, 4 or 8, at most `maxBlocks` blocks.
  public var bits: [Int]
  /// Shares of the training interactions per block, head first, one per block. nil: CpRec's
  /// default cut (`FrequencyBlocks.defaultShares`) with three blocks, equal shares otherwise.
  public var shares: [Double]?
  /// Item frequency ranks where blocks end, one fewer than the blocks; replaces `shares`.
  /// Users are cut at the same fractions of the users.
  public var cutoffs: [Int]?
  /// The users' widths when they differ from the items': one width for every user, or one
  /// per block (cut like the items'); nil gives users `bits`.
  public var userBits: [Int]? = nil

  /// The most blocks a model file can mark its rows with (2 bits per row).
  public static let maxBlocks = 4

  public init(bits: [Int], shares: [Double]? = nil, cutoffs: [Int]? = nil, userBits: [Int]? = nil) {
    self.bits = bits
    self.shares = shares
    self.cutoffs = cutoffs
    self.userBits = userBits
  }

  /// The users' widths: `userBits`, else `bits`.
  public var userWidths: [Int] { userBits ?? bits }

  /// The block of each user, whose training interactions are `counts` (see
  /// `blocks(counts:itemCount:)`): all in block 0 when the users have one width.
  public func userBlocks(counts: [Int], itemCount: Int) throws(FrequencyBlocksError) -> [UInt8] {
    guard let userBits else { return try blocks(counts: counts, itemCount: itemCount) }
    guard userBits.allSatisfy(RowQuantizer.supportedBits.contains) else {
      throw .badWidths(userBits, most: Self.maxBlocks)
    }
    if userBits.count == 1 { return [UInt8](repeating: 0, count: counts.count) }
    guard userBits.count == bits.count else { throw .countMismatch(widths: bits.count, blocks: userBits.count) }
    return try blocks(counts: counts, itemCount: itemCount)
  }

  /// The block of every user and every item of the training matrix, by their interactions.
  public func marks(for matrix: InteractionMatrix) throws(FrequencyBlocksError) -> (users: [UInt8], items: [UInt8]) {
    let users = (0..<matrix.rowCount).map(matrix.rowLength)
    return (
      users: try userBlocks(counts: users, itemCount: matrix.columnCount),
      items: try blocks(counts: matrix.columnCounts(), itemCount: matrix.columnCount)
    )
  }

  /// The block of each of the rows whose training interactions are `counts` (the users' or
  /// the items'); `itemCount` scales the cutoffs for users. Throws when the settings do not
  /// fit: bad widths, or shares or cutoffs that do not match the widths or the rows.
  public func blocks(counts: [Int], itemCount: Int) throws(FrequencyBlocksError) -> [UInt8] {
    guard (1...Self.maxBlocks).contains(bits.count), bits.allSatisfy(RowQuantizer.supportedBits.contains) else {
      throw .badWidths(bits, most: Self.maxBlocks)
    }
    let n = counts.count
    let cut: FrequencyBlocks
    if let cutoffs {
      guard cutoffs.count == bits.count - 1 else { throw .countMismatch(widths: bits.count, blocks: cutoffs.count + 1) }
      guard zip(cutoffs, cutoffs.dropFirst()).allSatisfy({ $0 < $1 }), cutoffs.allSatisfy({ $0 > 0 && $0 < itemCount })
      else { throw .badCutoffs(cutoffs, items: itemCount) }
      let scaled = cutoffs.map { Int((Double($0) * Double(n) / Double(itemCount)).rounded()) }
      do {
        cut = try FrequencyBlocks(counts: counts, cutoffs: scaled)
      } catch {
        throw .scaledCutoffs(scaled, rows: n)
      }
    } else {
      let shares =
        shares
        ?? (bits.count == FrequencyBlocks.defaultShares.count
          ? FrequencyBlocks.defaultShares : Array(repeating: 1, count: bits.count))
      guard shares.count == bits.count else { throw .countMismatch(widths: bits.count, blocks: shares.count) }
      guard shares.count <= n else { throw .tooFewRows(blocks: shares.count, rows: n) }
      cut = try FrequencyBlocks(counts: counts, shares: shares)
    }
    var block = [UInt8](repeating: 0, count: n)
    for b in 0..<cut.blockCount {
      for r in cut.start(b)..<cut.ends[b] { block[Int(cut.order[r])] = UInt8(b) }
    }
    return block
  }
}
