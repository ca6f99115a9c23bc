import Foundation

/// Eigen-decomposition of a small symmetric matrix by the cyclic Jacobi method, in Double.
///
/// Used to find the principal axes of an embedding table (d x d, d <= a few hundred), where
/// Jacobi is simple, accurate and fast enough: O(d^3) per sweep, about 10 sweeps.
public enum SymmetricEigen {
  /// Eigenvalues (descending) and the matching unit eigenvectors as the columns of a row-major
  /// n x n matrix. Precondition: `a` is n x n and symmetric.
  public static func decompose(_ a: [Double], n: Int) -> (values: [Double], vectors: [Double]) {
    precondition(a.count == n * n, "matrix must be n x n")
    var m = a
    var v = [Double](repeating: 0, count: n * n)
    for i in 0..<n { v[i * n + i] = 1 }
    for _ in 0..<60 {
      var off = 0.0
      for p in 0..<n { for q in (p + 1)..<max(p + 1, n) { off += m[p * n + q] * m[p * n + q] } }
      if off < 1e-22 * max(1, (0..<n).reduce(0) { $0 + m[$1 * n + $1] * m[$1 * n + $1] }) { break }
      for p in 0..<n {
        for q in (p + 1)..<max(p + 1, n) where m[p * n + q] != 0 {
          // Rotation that zeroes m[p][q] (Golub & Van Loan, symmetric Schur).
          let theta = (m[q * n + q] - m[p * n + p]) / (2 * m[p * n + q])
          let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
          let c = 1 / (t * t + 1).squareRoot()
          let s = t * c
          for k in 0..<n {
            let mkp = m[k * n + p]
            let mkq = m[k * n + q]
            m[k * n + p] = c * mkp - s * mkq
            m[k * n + q] = s * mkp + c * mkq
          }
          for k in 0..<n {
            let mpk = m[p * n + k]
            let mqk = m[q * n + k]
            m[p * n + k] = c * mpk - s * mqk
            m[q * n + k] = s * mpk + c * mqk
          }
          for k in 0..<n {
            let vkp = v[k * n + p]
            let vkq = v[k * n + q]
            v[k * n + p] = c * vkp - s * vkq
            v[k * n + q] = s * vkp + c * vkq
          }
        }
      }
    }
    let order = (0..<n).sorted { m[$0 * n + $0] > m[$1 * n + $1] }
    var vectors = [Double](repeating: 0, count: n * n)
    for (newCol, col) in order.enumerated() { for r in 0..<n { vectors[r * n + newCol] = v[r * n + col] } }
    return (order.map { m[$0 * n + $0] }, vectors)
  }
}
