"""Files people download: the formula-safe CSV/XLSX writer every export uses, and the
tertial report as a workbook."""
