"""The only place that runs other programs: one module per external tool."""
