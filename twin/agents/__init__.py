"""Officers, dossiers, evidence items, cases and their lifecycle; behaviours; the ground-truth recorder."""
