import Foundation
import Testing

@testable import CompactRecKit

@Suite("Adam")
struct AdamTests {
  @Test("two dense steps follow the bias-corrected formula, with decoupled weight decay")
  func denseSteps() {
    let p = Parameter(name: "w", value: Matrix(rows: 1, cols: 9, storage: (0..<9).map { Float($0) * 0.1 }))
    let adam = Adam(learningRate: 0.01, weightDecay: 0.5)
    var w = p.value.storage.map(Double.init)
    var m = [Double](repeating: 0, count: 9)
    var v = [Double](repeating: 0, count: 9)
    for t in 1...2 {
      let g = (0..<9).map { Double($0) - 4 + Double(t) * 0.5 }
      p.grad.storage = g.map(Float.init)
      adam.step([p])
      for i in 0..<9 {
        m[i] = 0.9 * m[i] + 0.1 * g[i]
        v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i]
        let mHat = m[i] / (1 - pow(0.9, Double(t)))
        let vHat = v[i] / (1 - pow(0.999, Double(t)))
        w[i] = w[i] * (1 - 0.01 * 0.5) - 0.01 * mHat / (vHat.squareRoot() + 1e-8)
      }
    }
    for i in 0..<9 { #expect(abs(Double(p.value.storage[i]) - w[i]) < 1e-6, "element \(i)") }
  }

  @Test("a lazy step touches only the given rows")
  func lazyRows() {
    let p = Parameter(name: "table", value: Matrix(rows: 3, cols: 2, repeating: 1))
    p.grad.storage = [1, 1, 1, 1, 1, 1]
    let adam = Adam(learningRate: 0.1)
    adam.beginStep()
    adam.update(p, rows: [1])
    #expect(p.value.storage[0] == 1 && p.value.storage[1] == 1)
    #expect(abs(p.value.storage[2] - 0.9) < 1e-6 && abs(p.value.storage[3] - 0.9) < 1e-6)
    #expect(p.value.storage[4] == 1 && p.value.storage[5] == 1)
  }
}
