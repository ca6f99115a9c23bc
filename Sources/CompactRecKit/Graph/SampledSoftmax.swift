import CKernels
import Foundation

/// The sampled softmax loss of `GraphLoss.softmax` on a batch's compact final embeddings, with
/// its gradient, through BLAS. Scratch buffers grow with the batches and are reused.
///
/// With `cosine` (otherwise x̂ = x and the last step is the identity):
/// forward: x̂ = x / |x| for every row; s_bj = <û_b, n̂_j> / t against the batch's shared
/// negatives j, s_b0 = <û_b, p̂_b> / t; loss_b = logsumexp(s_b0, s_b1...) - s_b0.
/// backward: with q the softmax of the logits, dû_b = (sum_j q_bj n̂_j + (q_b0 - 1) p̂_b) / t,
/// dp̂_b = (q_b0 - 1) û_b / t, dn̂_j = sum_b q_bj û_b / t; then dx = (dx̂ - <dx̂, x̂> x̂) / |x|.
final class SampledSoftmax {
  let temperature: Float
  /// Pairs whose logits are formed at once: 512 rows of up to a few thousand logits stay in cache
  /// between the three products that read them.
  static let chunk = 512
  private var users = AlignedBuffer<Float>(repeating: 0, count: 0)
  private var positives = AlignedBuffer<Float>(repeating: 0, count: 0)
  private var negatives = AlignedBuffer<Float>(repeating: 0, count: 0)
  private var logits = AlignedBuffer<Float>(repeating: 0, count: 0)
  private var userGradient = AlignedBuffer<Float>(repeating: 0, count: 0)
  private var negativeGradient = AlignedBuffer<Float>(repeating: 0, count: 0)
  /// Per pair: (q_b0 - 1) / t, the positive's weight in the gradient.
  private var positiveWeight = AlignedBuffer<Float>(repeating: 0, count: 0)
  /// Per pair: its loss.
  private var pairLoss = AlignedBuffer<Float>(repeating: 0, count: 0)
  /// Per pair: <û_b, p̂_b>, read by the logits and again by the backward pass.
  private var positiveSimilarity = AlignedBuffer<Float>(repeating: 0, count: 0)
  private var norms = AlignedBuffer<Float>(repeating: 0, count: 0)

  /// Whether the similarity is the cosine (rows at unit length) or the dot product.
  let cosine: Bool

  init(temperature: Float, cosine: Bool) {
    self.temperature = temperature
    self.cosine = cosine
  }

  /// Grows `buffer` to hold `count` elements.
  private static func ensure(_ buffer: inout AlignedBuffer<Float>, _ count: Int) {
    if buffer.count < count { buffer = AlignedBuffer(repeating: 0, count: count) }
  }

  /// The summed loss over the pairs (`users[b]`, `positives[b]`) against the shared `shared`
  /// items, plus l2/2 |e0|^2 for each row's every occurrence (a shared negative's once). Adds
  /// dLoss/dfinal at each row's slot to `grad`, and those layer-0 rows to `reg`, as
  /// `crk_bpr_triples` does.
  func lossAndGradient(
    final: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>, reg: UnsafeMutablePointer<Float>,
    e0: UnsafePointer<Float>, slot: UnsafePointer<Int32>, users userIDs: [Int32], positives positiveIDs: [Int32],
    shared: [Int32], itemOffset: Int, dim d: Int, l2: Float
  ) -> Double {
    let n = userIDs.count
    let m = shared.count
    let t = temperature
    Self.ensure(&users, n * d)
    Self.ensure(&positives, n * d)
    Self.ensure(&negatives, m * d)
    Self.ensure(&logits, Self.chunk * (m + 1))
    Self.ensure(&userGradient, n * d)
    Self.ensure(&negativeGradient, m * d)
    Self.ensure(&positiveWeight, n)
    Self.ensure(&pairLoss, n)
    Self.ensure(&positiveSimilarity, n)
    Self.ensure(&norms, 2 * n + m)
    let u = users.pointer
    let p = positives.pointer
    let neg = negatives.pointer
    let s = logits.pointer
    let du = userGradient.pointer
    let dn = negativeGradient.pointer
    let c = positiveWeight.pointer
    let lossOf = pairLoss.pointer
    let similarity = positiveSimilarity.pointer
    let norm = norms.pointer
    let nodes = { (k: Int) -> Int in
      k < n ? Int(userIDs[k]) : k < 2 * n ? itemOffset + Int(positiveIDs[k - n]) : itemOffset + Int(shared[k - 2 * n])
    }
    let unit = { (k: Int) -> UnsafeMutablePointer<Float> in
      k < n ? u + k * d : k < 2 * n ? p + (k - n) * d : neg + (k - 2 * n) * d
    }

    // Unit rows (with cosine) of the users, positives and shared negatives.
    let cosine = cosine
    Parallel.forEachChunk(of: 2 * n + m) { _, range in
      for k in range {
        let row = final + Int(slot[nodes(k)]) * d
        var sum: Float = 0
        for x in 0..<d { sum += row[x] * row[x] }
        let length = cosine ? max(sum.squareRoot(), 1e-12) : 1
        norm[k] = length
        let out = unit(k)
        for x in 0..<d { out[x] = row[x] / length }
      }
    }
    // Pairs in chunks whose logits stay in cache: row b of a chunk holds the positive's logit
    // at 0 and the shared negatives' at 1...m, then the softmax gradient in their place.
    let width = m + 1
    for chunk in stride(from: 0, to: n, by: Self.chunk) {
      let rows = min(Self.chunk, n - chunk)
      let uc = u + chunk * d
      BLAS.gemm(
        transposeB: true, m: rows, n: m, k: d, alpha: 1 / t, a: uc, lda: d, b: neg, ldb: d, c: s + 1, ldc: width)
      Parallel.forEachChunk(of: rows) { _, range in
        for r in range {
          let b = chunk + r
          let ub = u + b * d
          let pb = p + b * d
          var positive: Float = 0
          for x in 0..<d { positive += ub[x] * pb[x] }
          similarity[b] = positive
          let row = s + r * width
          row[0] = positive / t
          lossOf[b] = Float(crk_softmax_xent_row(row, Int64(width), 0, 1 / t))
          c[b] = row[0]
        }
      }
      BLAS.gemm(m: rows, n: d, k: m, a: s + 1, lda: width, b: neg, ldb: d, c: du + chunk * d, ldc: d)
      BLAS.gemm(
        transposeA: true, m: m, n: d, k: rows, a: s + 1, lda: width, b: uc, ldb: d, beta: chunk == 0 ? 0 : 1, c: dn,
        ldc: d)
    }
    // Back through the normalization, into the compact gradient (rows may repeat: serial).
    var loss = 0.0
    for b in 0..<n {
      loss += Double(lossOf[b])
      let ub = u + b * d
      let pb = p + b * d
      let g = du + b * d
      for x in 0..<d { g[x] += c[b] * pb[x] }
      addThroughNorm(g, unit: ub, length: norm[b], into: grad + Int(slot[nodes(b)]) * d, dim: d)
      // dp̂ = c û: its part along p̂ is c <û, p̂>.
      let along = cosine ? similarity[b] : 0
      let into = grad + Int(slot[nodes(n + b)]) * d
      let scale = c[b] / norm[n + b]
      for x in 0..<d { into[x] += scale * (ub[x] - along * pb[x]) }
    }
    for j in 0..<m {
      addThroughNorm(
        dn + j * d, unit: neg + j * d, length: norm[2 * n + j], into: grad + Int(slot[nodes(2 * n + j)]) * d, dim: d)
    }
    var squares: Float = 0
    for k in 0..<(2 * n + m) {
      let node = nodes(k)
      let from = e0 + node * d
      let into = reg + Int(slot[node]) * d
      for x in 0..<d {
        into[x] += from[x]
        squares += from[x] * from[x]
      }
    }
    return loss + Double(0.5 * l2 * squares)
  }

  /// Adds (g - <g, x̂> x̂) / |x|, the gradient at x of a loss with gradient g at x̂ = x / |x|
  /// (with the dot product, g itself).
  private func addThroughNorm(
    _ g: UnsafePointer<Float>, unit: UnsafePointer<Float>, length: Float, into out: UnsafeMutablePointer<Float>,
    dim d: Int
  ) {
    var along: Float = 0
    if cosine { for x in 0..<d { along += g[x] * unit[x] } }
    for x in 0..<d { out[x] += (g[x] - along * unit[x]) / length }
  }
}
