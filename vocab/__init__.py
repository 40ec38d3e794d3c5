"""The project's shared vocabulary: bilingual text, the user-facing error type, application
states and county statuses, and every limit on what a station may file.

It imports nothing from the project, so every package (offline/, sync/, kiosk/, county/, ui/)
may import it, and a word or a limit defined here means the same at the kiosk, on the wire and
on the hub. Define a status, a limit or an error wording here once; elsewhere import it.
"""
