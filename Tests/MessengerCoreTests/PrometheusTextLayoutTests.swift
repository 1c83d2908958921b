@testable import MessengerCore
import Testing

@Suite("Prometheus text layout")
struct PrometheusTextLayoutTests {
    @Test("le values are canonical, sums have six decimals, families are separated")
    func layout() {
        let input = """
            # HELP a_total A
            # TYPE a_total counter
            a_total 1
            # HELP messenger_h H
            # TYPE messenger_h histogram
            messenger_h_bucket{path="/x",le="0.005"} 1
            messenger_h_bucket{path="/x",le="1.0"} 1
            messenger_h_bucket{path="/x",le="10.0"} 1
            messenger_h_bucket{path="/x",le="+Inf"} 1
            messenger_h_sum{path="/x"} 0.0001
            messenger_h_count{path="/x"} 1
            messenger_h_bucket{path="/y",le="2.5"} 0
            """
        let output = PrometheusTextLayout.apply(to: input)
        #expect(output.contains("le=\"1\"} 1"))
        #expect(output.contains("le=\"10\"} 1"))
        #expect(output.contains("le=\"2.5\"} 0"))
        #expect(output.contains("messenger_h_sum{path=\"/x\"} 0.000100"))
        #expect(output.contains("a_total 1\n\n# HELP messenger_h H"))
        #expect(output.contains("messenger_h_count{path=\"/x\"} 1\n\nmessenger_h_bucket{path=\"/y\""))
    }
}
