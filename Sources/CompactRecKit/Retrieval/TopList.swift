/// The k best (item, score) pairs seen so far, best first; equal scores rank the smaller item
/// first. -infinity and NaN are never kept.
struct TopList {
  let k: Int
  private(set) var items: [Int32] = []
  private(set) var scores: [Float] = []

  init(k: Int) { self.k = k }

  var ranking: Ranking { Ranking(items: items, scores: scores) }
  /// Whether the list holds k items.
  var isFull: Bool { items.count == k }
  /// The lowest score kept (-infinity while empty).
  var worstScore: Float { scores.last ?? -.infinity }

  /// True when nothing scoring at most `score` can enter: the list is full and its worst
  /// score is above `score`.
  func excludes(score: Float) -> Bool { k == 0 || (items.count == k && score < scores[k - 1]) }

  /// Offers one item.
  mutating func offer(_ item: Int32, _ s: Float) {
    guard s > -.infinity else { return }
    if items.count == k {
      let worst = scores[k - 1]
      if s < worst || (s == worst && item > items[k - 1]) { return }
    }
    var i = items.count
    while i > 0 && (scores[i - 1] < s || (scores[i - 1] == s && items[i - 1] > item)) { i -= 1 }
    items.insert(item, at: i)
    scores.insert(s, at: i)
    if items.count > k {
      items.removeLast()
      scores.removeLast()
    }
  }

  /// Offers a block's row of logits, item `ids[j]` scoring `row[j] + shift`: masks the row's
  /// excluded items in place (`position` gives an item's index in the row, nil outside it),
  /// selects the row's best k + 1 with the vectorized kernel and offers the best k. The
  /// kernel orders equal logits by position, not by item, and the shift can round distinct
  /// logits to one score, so when the (k+1)-th score ties the k-th the whole row is offered
  /// one by one instead.
  mutating func offerBlock(
    _ row: UnsafeMutablePointer<Float>, count: Int, shift: Float, items ids: UnsafePointer<Int32>,
    exclude: [Int32], position: (Int32) -> Int?
  ) {
    guard k > 0, count > 0 else { return }
    for e in exclude { if let j = position(e) { row[j] = -.infinity } }
    let want = min(k + 1, count)
    withUnsafeTemporaryAllocation(of: Int32.self, capacity: want) { idx in
      withUnsafeTemporaryAllocation(of: Float.self, capacity: want) { val in
        let found = TopK.select(row, count: count, k: want, indices: idx.baseAddress!, values: val.baseAddress!)
        if found == want && want > k && val[k] + shift == val[k - 1] + shift {
          for j in 0..<count { offer(ids[j], row[j] + shift) }
        } else {
          for j in 0..<min(found, k) { offer(ids[Int(idx[j])], val[j] + shift) }
        }
      }
    }
  }
}
