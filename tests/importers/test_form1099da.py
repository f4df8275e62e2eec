"""Reading brokers' Form 1099-DA files: taxer's layout and Taxbit's template, strict cells, stable ids."""

from datetime import date
from decimal import Decimal as D

import pytest

from taxer.errors import InputError
from taxer.importers.form1099da import read

HEADER = "Asset,Units,Date Acquired,Date Sold,Proceeds,Cost Basis,Term,Basis Reported"


def write(tmp_path, text, name="f.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_taxer_layout_with_optional_boxes(tmp_path):
    path = write(tmp_path, HEADER + ",Proceeds Type,Noncovered,Form 8949 Code,Federal Tax Withheld\n"
                 "btc,0.3,Various,2025-06-01,\"$30,000.00\",15000,Short,yes,Gross,no,G,12.50\n"
                 "ETH,1,,2025-07-01,3500,,long,no,,yes,K,\n")
    layout, rows = read(path, "cb")
    assert layout.name == "taxer"
    a, b = rows
    assert (a.asset, a.units, a.various, a.date_acquired, a.date_sold, a.proceeds, a.cost_basis, a.term,
            a.basis_reported, a.proceeds_type, a.form8949_code, a.federal_tax_withheld, a.origin) == (
        "BTC", D("0.3"), True, None, date(2025, 6, 1), D("30000.00"), D("15000"), "short", True, "gross", "G",
        D("12.50"), "f.csv:2")
    assert (b.cost_basis, b.term, b.basis_reported, b.noncovered, b.various) == (None, "long", False, True, False)


def test_identical_rows_get_distinct_stable_ids(tmp_path):
    text = HEADER + "\nBTC,0.1,2025-01-01,2025-06-01,100,50,short,yes\nBTC,0.1,2025-01-01,2025-06-01,100,50,short,yes\n"
    _, first = read(write(tmp_path, text), "cb")
    _, again = read(write(tmp_path, text, "copy.csv"), "cb")
    assert len({r.external_id for r in first}) == 2
    assert [r.external_id for r in first] == [r.external_id for r in again]


@pytest.mark.parametrize("cells, column", [("BTC,0,,2025-06-01,1,1,short,yes", "Units"),
                                           ("BTC,1,,06-01-2025x,1,1,short,yes", "Date Sold"),
                                           ("BTC,1,,2025-06-01,abc,1,short,yes", "Proceeds"),
                                           ("BTC,1,,2025-06-01,1,1,medium,yes", "Term"),
                                           ("BTC,1,,2025-06-01,1,1,short,maybe", "Basis Reported")])
def test_a_bad_cell_names_file_line_and_column(tmp_path, cells, column):
    with pytest.raises(InputError) as err:
        read(write(tmp_path, HEADER + "\n" + cells + "\n"), "cb")
    assert err.value.line == 2 and err.value.column == column


def test_unknown_header_lists_the_layouts(tmp_path):
    with pytest.raises(InputError, match="Taxbit"):
        read(write(tmp_path, "Date,Amount\n2025-01-01,1\n"), "cb")


def test_taxbit_template(tmp_path):
    path = write(tmp_path, "account_id,asset_symbol,asset_name,asset_quantity,acquired_date,disposed_date,proceeds,"
                 "cost_basis,proceeds_type,federal_tax_withheld,gain_loss_classification,is_noncovered_security\n"
                 "123,BTC,Bitcoin,0.3,1/10/2025,6/1/2025,30000,15000,Gross Proceeds,,Short-term,FALSE\n"
                 "123,SOL,Solana,2,,8/1/2025,400,,Net Proceeds,,Long-term,TRUE\n")
    layout, (a, b) = read(path, "cb")
    assert layout.name == "taxbit"
    assert (a.date_acquired, a.date_sold, a.term, a.proceeds_type, a.basis_reported) == (
        date(2025, 1, 10), date(2025, 6, 1), "short", "gross", True)
    assert (b.cost_basis, b.term, b.noncovered, b.basis_reported) == (None, "long", True, False)
