import Testing

@testable import CompactRecKit

/// Expects the rows of `r` to be orthonormal (R R^T = I within `tolerance`), as the maps that
/// rotate or widen a warm start must be for every score to be kept.
func expectOrthonormalRows(_ r: Matrix, tolerance: Double = 1e-5) {
  for a in 0..<r.rows {
    for b in 0..<r.rows {
      let dot = (0..<r.cols).reduce(0.0) { $0 + Double(r[a, $1]) * Double(r[b, $1]) }
      #expect(abs(dot - (a == b ? 1 : 0)) < tolerance, "rows \(a), \(b)")
    }
  }
}
