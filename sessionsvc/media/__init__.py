"""Server-side media: the aiortc peer that answers a browser's connection test
(``POST /v1/diagnostics/offer``), measures the connection and grades it. It runs inside the
service, next to signaling; the aiortc client kit that plays participants from outside is
``sessionsvc.synthetic``.

Modules: ``clip`` (the test video, encoded once and replayed without encoding), ``offers``
(what an offer must look like before aiortc sees it), ``inbound`` (counting the browser's video
without decoding it), ``candidates`` (the selected candidate pair), ``measure`` (figures from
samples: pure), ``reports`` (the stored report and its view), ``peer`` (one test's peer
connection) and ``connection_tests`` (every test of this node: limits, time limits,
storage)."""
