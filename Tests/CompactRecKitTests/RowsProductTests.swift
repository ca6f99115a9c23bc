import CKernels
import Testing

@testable import CompactRecKit

@Suite("Rows product kernel")
struct RowsProductTests {
  /// Shapes around the kernel's tiles: 4-row tiles and 16-column panels, with remainders.
  @Test("equals the product in double precision, with strides and with or without bias", arguments: [1, 3, 4, 5, 9])
  func matchesReference(rows m: Int) {
    var g = SeededGenerator(seed: UInt64(m))
    for (w, n) in [(1, 1), (8, 15), (13, 16), (32, 17), (8, 40)] {
      let ldx = w + 2
      let ldo = n + 3
      let x = Matrix(rows: m, cols: ldx, gaussianStd: 1, generator: &g)
      let b = Matrix(rows: w, cols: n, gaussianStd: 1, generator: &g)
      let bias = Matrix(rows: 1, cols: n, gaussianStd: 1, generator: &g)
      for useBias in [false, true] {
        var out = Matrix(rows: m, cols: ldo, repeating: .nan)
        x.withUnsafePointer { xp in
          b.withUnsafePointer { bp in
            bias.withUnsafePointer { biasp in
              out.withUnsafeMutablePointer {
                crk_rows_product(
                  xp, Int64(m), Int64(ldx), Int64(w), bp, Int64(n), useBias ? biasp : nil, $0, Int64(ldo))
              }
            }
          }
        }
        for r in 0..<m {
          for j in 0..<n {
            var expected = useBias ? Double(bias[0, j]) : 0
            for d in 0..<w { expected += Double(x[r, d]) * Double(b[d, j]) }
            #expect(abs(Double(out[r, j]) - expected) < 1e-5 * Double(w + 1), "w \(w) n \(n) (\(r), \(j))")
          }
          // Columns past n are not written.
          for j in n..<ldo { #expect(out[r, j].isNaN) }
        }
        // A row's result is bit for bit the same when it is computed alone.
        for r in 0..<m {
          var alone = [Float](repeating: 0, count: n)
          x.withUnsafePointer { xp in
            b.withUnsafePointer { bp in
              bias.withUnsafePointer { biasp in
                crk_rows_product(
                  xp + r * ldx, 1, Int64(ldx), Int64(w), bp, Int64(n), useBias ? biasp : nil, &alone, Int64(n))
              }
            }
          }
          #expect(alone == Array(out.row(r)[0..<n]), "w \(w) n \(n) row \(r)")
        }
      }
    }
  }
}
