"""The hub's HTTP routes by area: `device` (the sync API kiosks call), `staff` (the staff
API for scripts) and `console` (the staff pages)."""
