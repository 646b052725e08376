"""State and province codes for N402: stores send "North Carolina", X12 wants "NC".

N402 is the 2-character state or province code (USPS codes for the United
States, Canada Post codes for Canada). `region_code` turns a full name into its
code; anything else is left to the caller to refuse.
"""
from __future__ import annotations

_US = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA", "Colorado": "CO",
    "Connecticut": "CT", "Delaware": "DE", "District of Columbia": "DC", "Florida": "FL", "Georgia": "GA",
    "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL", "Indiana": "IN", "Iowa": "IA", "Kansas": "KS",
    "Kentucky": "KY", "Louisiana": "LA", "Maine": "ME", "Maryland": "MD", "Massachusetts": "MA", "Michigan": "MI",
    "Minnesota": "MN", "Mississippi": "MS", "Missouri": "MO", "Montana": "MT", "Nebraska": "NE", "Nevada": "NV",
    "New Hampshire": "NH", "New Jersey": "NJ", "New Mexico": "NM", "New York": "NY", "North Carolina": "NC",
    "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK", "Oregon": "OR", "Pennsylvania": "PA",
    "Rhode Island": "RI", "South Carolina": "SC", "South Dakota": "SD", "Tennessee": "TN", "Texas": "TX",
    "Utah": "UT", "Vermont": "VT", "Virginia": "VA", "Washington": "WA", "West Virginia": "WV",
    "Wisconsin": "WI", "Wyoming": "WY", "Puerto Rico": "PR", "Guam": "GU", "US Virgin Islands": "VI",
    "Virgin Islands": "VI", "American Samoa": "AS", "Northern Mariana Islands": "MP",
    "Armed Forces Americas": "AA", "Armed Forces Europe": "AE", "Armed Forces Pacific": "AP",
}
_CA = {
    "Alberta": "AB", "British Columbia": "BC", "Manitoba": "MB", "New Brunswick": "NB",
    "Newfoundland and Labrador": "NL", "Newfoundland": "NL", "Nova Scotia": "NS", "Northwest Territories": "NT",
    "Nunavut": "NU", "Ontario": "ON", "Prince Edward Island": "PE", "Quebec": "QC", "Québec": "QC",
    "Saskatchewan": "SK", "Yukon": "YT",
}
_BY_NAME = {name.upper(): code for table in (_US, _CA) for name, code in table.items()}


def region_code(state: str) -> str:
    """The 2-character code of a US state or Canadian province given by name or code; "" when unknown."""
    value = " ".join(str(state or "").replace(".", " ").split()).upper()
    if len(value) == 2 and value.isalpha():
        return value
    return _BY_NAME.get(value, "")
