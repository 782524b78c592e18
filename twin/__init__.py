"""twin: a digital-twin test bench for RFID case-dossier tracking in police stations."""

__version__ = "0.1.0"
