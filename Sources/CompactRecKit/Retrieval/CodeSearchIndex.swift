import CKernels

/// Exact top-K retrieval over bit-plane item codes (HQ-GNN), with seen items excluded.
///
/// Scores are those of `PackedCodes.dot` (the dot products of the dequantized rows), computed
/// with XOR + popcount at 1 bit and bit-plane AND + popcount above. Items are kept in
/// descending order of the norm of their dequantized rows, so the scan of a user stops as soon
/// as no remaining item can reach its current K-th score by Cauchy-Schwarz; at 1 bit a
/// transposed nibble copy of the codes lets a user's Hamming distances to 256 items come from
/// 16 register table lookups (see code_search.c). Every other width is scanned from a
/// transposed copy of the codes: per-user table lookups up to 4 bits (FAISS's fast-scan, exact
/// because user codes are integers too) and 16-bit multiply-adds at 8 bits, with a vector test
/// of each item's key against the user's k-th best before the exact score (see code_scan.c).
/// Users are split over the cores. Immutable after `init`: any number of threads may search it.
public final class CodeSearchIndex: ItemIndex, @unchecked Sendable {
  /// The indexed item codes, in item order.
  public let items: PackedCodes
  /// The kernel's tables (see `crk_code_index`), items in descending norm order, and its view
  /// of them.
  private let permutedWords: AlignedBuffer<UInt64>
  private let permutedSteps: AlignedBuffer<Float>
  private let permutedNorms: AlignedBuffer<Float>
  private let permutedSums: AlignedBuffer<Int32>
  private let original: AlignedBuffer<Int32>
  /// At 1 bit and one word per row: the codes again, one nibble per byte in the transposed
  /// layout of `crk_code_index_nibbles` (64-byte aligned, so that no 32-byte load of the kernel
  /// straddles two cache lines), and the largest step of each group of 256 items.
  private let nibbles: AlignedBuffer<UInt8>?
  private let groupSteps: AlignedBuffer<Float>?
  /// Above 1 bit, or at 1 bit past 64 dimensions: the codes again in the transposed layout of
  /// `crk_code_scan_layout` (64-byte aligned), with the steps and offsets in its slot order.
  private let scan: AlignedBuffer<UInt8>?
  private let scanSteps: AlignedBuffer<Float>?
  private let scanOffsets: AlignedBuffer<Float>?
  private let kernel: crk_code_index

  /// Prepares `items` for search. O(items log items).
  public init(items: PackedCodes) {
    self.items = items
    let norms = items.norms()
    let order = (0..<items.rows).sorted { norms[$0] != norms[$1] ? norms[$0] > norms[$1] : $0 < $1 }
    let w = items.wordsPerRow
    let words = AlignedBuffer<UInt64>(repeating: 0, count: items.words.count)
    for (p, i) in order.enumerated() {
      for k in 0..<w { words[p * w + k] = items.words[i * w + k] }
    }
    permutedWords = words
    permutedSteps = AlignedBuffer(order.map { items.steps[$0] })
    permutedNorms = AlignedBuffer(order.map { norms[$0] })
    permutedSums = AlignedBuffer(order.map { items.codeSums[$0] })
    original = AlignedBuffer(order.map { Int32($0) })
    let n = Int64(items.rows)
    if items.bits == 1 && items.wordsPerPlane == 1 {
      let nibbles = AlignedBuffer<UInt8>(repeating: 0, count: Int(crk_code_index_nibble_bytes(n)))
      let groupSteps = AlignedBuffer<Float>(repeating: 0, count: (items.rows + 255) / 256)
      crk_code_index_nibbles(permutedWords.pointer, permutedSteps.pointer, n, nibbles.pointer, groupSteps.pointer)
      self.nibbles = nibbles
      self.groupSteps = groupSteps
    } else {
      nibbles = nil
      groupSteps = nil
    }
    if nibbles == nil && crk_code_scan_supported(Int32(items.bits), Int32(items.dim)) != 0 {
      let scan = AlignedBuffer<UInt8>(
        repeating: 0, count: Int(crk_code_scan_bytes(n, Int32(items.bits), Int32(items.dim))))
      let slots = (items.rows + Int(CRK_SCAN_GROUP) - 1) / Int(CRK_SCAN_GROUP) * Int(CRK_SCAN_GROUP)
      let steps = AlignedBuffer<Float>(repeating: 0, count: slots)
      let offsets = AlignedBuffer<Float>(repeating: 0, count: slots)
      crk_code_scan_layout(
        permutedWords.pointer, permutedSteps.pointer, permutedSums.pointer, n, Int32(items.bits),
        Int32(items.wordsPerPlane), Int32(items.dim), scan.pointer, steps.pointer, offsets.pointer)
      self.scan = scan
      scanSteps = steps
      scanOffsets = offsets
    } else {
      scan = nil
      scanSteps = nil
      scanOffsets = nil
    }
    kernel = crk_code_index(
      n_items: n, bits: Int32(items.bits), words_per_plane: Int32(items.wordsPerPlane), d: Int32(items.dim),
      codes: permutedWords.pointer, steps: permutedSteps.pointer, norms: permutedNorms.pointer,
      sums: permutedSums.pointer, original: original.pointer, nibbles: nibbles?.pointer,
      group_steps: groupSteps?.pointer, scan: scan.map { UnsafeRawPointer($0.pointer) }, scan_steps: scanSteps?.pointer,
      scan_offsets: scanOffsets?.pointer)
  }

  public var itemCount: Int { items.rows }

  /// Bytes per item of the index in memory: the codes, step, norm, code sum and item number,
  /// and the transposed copy the scan reads.
  public var bytesPerItem: Double {
    let copy = Double(crk_code_scan_bytes(Int64(items.rows), Int32(items.bits), Int32(items.dim)))
    let layout = nibbles != nil ? Double(crk_code_index_nibble_bytes(Int64(items.rows))) : scan != nil ? copy : 0
    return Double(items.wordsPerRow * 8 + 16) + layout / Double(max(1, items.rows))
  }

  /// The `k` best items for each row of `users` (same bits and width as the items) under its
  /// filter. Ties go to the lower item index.
  public func search(_ users: PackedCodes, k: Int, filters: [ItemFilter]) -> SearchResult {
    precondition(users.bits == items.bits && users.dim == items.dim, "user and item codes differ in shape")
    precondition(filters.count == users.rows, "one filter per user")
    let parts = ItemFilter.parts(filters, itemCount: items.rows)
    if parts.count > 1 {
      return SearchResult(joining: parts.map { search(users.rows($0), k: k, filters: Array(filters[$0])) })
    }
    let exclude = filters.map { $0.exclusions(itemCount: items.rows) }
    let m = users.rows
    let kk = min(k, items.rows)
    // Contiguous user ranges, several per core for balance. Each gathers its users' seen items,
    // allocates its seen-item bitsets (one per user the kernel handles at a time) and outputs
    // once, and builds its own rankings, so none of that work waits on a single core.
    let chunks = max(1, min(m, Parallel.workers * 8))
    let scanned = AlignedBuffer<Int64>(repeating: 0, count: chunks)
    let rankings = UnsafeMutableBufferPointer<[Ranking]>.allocate(capacity: chunks)
    rankings.initialize(repeating: [])
    defer { rankings.deinitialize().deallocate() }
    let bitsetWords = (items.rows + 63) / 64
    let row = users.wordsPerRow
    let userWords = AlignedBuffer(users.words)
    let userSteps = AlignedBuffer(users.steps)
    let userSums = AlignedBuffer(users.codeSums)
    let userNorms = AlignedBuffer(users.norms())
    Parallel.forEachChunk(of: m, chunks: chunks) { c, range in
      let lo = range.lowerBound
      var offsets = [Int64](repeating: 0, count: range.count + 1)
      var seen: [Int32] = []
      for (t, u) in range.enumerated() {
        seen.append(contentsOf: exclude[u])
        offsets[t + 1] = Int64(seen.count)
      }
      var bits = [UInt64](repeating: 0, count: max(1, min(range.count, Int(CRK_SEARCH_USERS)) * bitsetWords))
      var idx = [Int32](repeating: 0, count: max(1, range.count * kk))
      var val = [Float](repeating: 0, count: max(1, range.count * kk))
      var count = [Int32](repeating: 0, count: range.count)
      scanned[c] = withUnsafePointer(to: kernel) { ix in
        crk_code_search(
          ix, userWords.pointer + lo * row, userSteps.pointer + lo, userSums.pointer + lo, userNorms.pointer + lo,
          Int64(range.count), offsets, seen, Int32(kk), &bits, &idx, &val, &count)
      }
      rankings[c] = (0..<range.count).map { t in
        let n = Int(count[t])
        return Ranking(items: Array(idx[(t * kk)..<(t * kk + n)]), scores: Array(val[(t * kk)..<(t * kk + n)]))
      }
    }
    var statistics = SearchStatistics()
    statistics.pairs = Int64(m) * Int64(items.rows)
    statistics.scanned = scanned.buffer.reduce(0, +)
    return SearchResult(rankings: rankings.flatMap { $0 }, statistics: statistics)
  }
}
