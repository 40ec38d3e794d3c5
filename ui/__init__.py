"""The kiosk's screens (PySide6): the resident touch screens (ui/resident), the operator
console (ui/operator), shared widgets (ui/widgets), the GUI entry point (ui.entry), the QThread
that runs sync (ui.sync_worker) and printing through Qt (ui.qt_printer).

Screens show what kiosk/ decides and forward what people do; they hold no rules, SQL or
HTTP. The top layer: nothing outside this package imports it.
"""
