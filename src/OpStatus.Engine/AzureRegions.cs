using System;
using System.Collections.Generic;
using System.Linq;

namespace OpStatus.Engine;

/// <summary>
/// Azure region names, as Resource Manager writes them in paths ('westus'), with the display names users
/// also type ('West US'). For completion only: any region name is accepted, listed here or not.
/// </summary>
internal static class AzureRegions
{
    private static readonly (string Name, string DisplayName)[] All =
    {
        ("australiacentral", "Australia Central"), ("australiacentral2", "Australia Central 2"), ("australiaeast", "Australia East"),
        ("australiasoutheast", "Australia Southeast"), ("austriaeast", "Austria East"), ("belgiumcentral", "Belgium Central"),
        ("brazilsouth", "Brazil South"), ("brazilsoutheast", "Brazil Southeast"), ("canadacentral", "Canada Central"),
        ("canadaeast", "Canada East"), ("centralindia", "Central India"), ("centralus", "Central US"),
        ("chilecentral", "Chile Central"), ("chinaeast", "China East"), ("chinaeast2", "China East 2"), ("chinaeast3", "China East 3"),
        ("chinanorth", "China North"), ("chinanorth2", "China North 2"), ("chinanorth3", "China North 3"),
        ("eastasia", "East Asia"), ("eastus", "East US"), ("eastus2", "East US 2"), ("francecentral", "France Central"),
        ("francesouth", "France South"), ("germanynorth", "Germany North"), ("germanywestcentral", "Germany West Central"),
        ("indonesiacentral", "Indonesia Central"), ("israelcentral", "Israel Central"), ("italynorth", "Italy North"),
        ("japaneast", "Japan East"), ("japanwest", "Japan West"), ("jioindiacentral", "Jio India Central"),
        ("jioindiawest", "Jio India West"), ("koreacentral", "Korea Central"), ("koreasouth", "Korea South"),
        ("malaysiawest", "Malaysia West"), ("mexicocentral", "Mexico Central"), ("newzealandnorth", "New Zealand North"),
        ("northcentralus", "North Central US"), ("northeurope", "North Europe"), ("norwayeast", "Norway East"),
        ("norwaywest", "Norway West"), ("polandcentral", "Poland Central"), ("qatarcentral", "Qatar Central"),
        ("southafricanorth", "South Africa North"), ("southafricawest", "South Africa West"), ("southcentralus", "South Central US"),
        ("southeastasia", "Southeast Asia"), ("southindia", "South India"), ("spaincentral", "Spain Central"),
        ("swedencentral", "Sweden Central"), ("switzerlandnorth", "Switzerland North"), ("switzerlandwest", "Switzerland West"),
        ("uaecentral", "UAE Central"), ("uaenorth", "UAE North"), ("uksouth", "UK South"), ("ukwest", "UK West"),
        ("usdodcentral", "US DoD Central"), ("usdodeast", "US DoD East"), ("usgovarizona", "US Gov Arizona"),
        ("usgovtexas", "US Gov Texas"), ("usgovvirginia", "US Gov Virginia"), ("westcentralus", "West Central US"),
        ("westeurope", "West Europe"), ("westindia", "West India"), ("westus", "West US"), ("westus2", "West US 2"),
        ("westus3", "West US 3"),
    };

    /// <summary>
    /// The regions whose name or display name starts with what was typed (spaces and case ignored), as
    /// (name, display name) pairs in name order.
    /// </summary>
    public static IEnumerable<(string Name, string DisplayName)> Matching(string typed)
    {
        var prefix = InputValidation.NormalizeLocation(typed ?? string.Empty);
        return All.Where(r => r.Name.StartsWith(prefix, StringComparison.Ordinal));
    }

    /// <summary>
    /// A warning for a valid region name OpStatus does not know, naming the nearest known ones; null for a known name, or a
    /// value that is not a region name at all (that one is refused elsewhere). Never a refusal: Azure adds regions.
    /// </summary>
    public static string? Unknown(string? typed)
    {
        if (typed is null || InputValidation.CheckLocation(typed) is not null)
        {
            return null;
        }

        var name = InputValidation.NormalizeLocation(typed);
        if (All.Any(r => r.Name == name))
        {
            return null;
        }

        var nearest = Nearest(name);
        var suggestion = nearest.Count == 0
            ? string.Empty
            : " Did you mean " + string.Join(nearest.Count == 2 ? " or " : ", ", nearest.Select(n => $"'{n}'")) + "?";
        return $"The location '{InputValidation.Printable(typed)}' is not a region OpStatus knows.{suggestion} It is sent as given, since Azure adds regions; if the read answers 404, check the location first.";
    }

    /// <summary>The known names closest to a typed one (at most three, within a third of its length in edits).</summary>
    internal static IReadOnlyList<string> Nearest(string name)
    {
        var scored = All.Select(r => (r.Name, Distance: Distance(name, r.Name))).ToArray();
        var best = scored.Min(s => s.Distance);
        return best > Math.Max(2, name.Length / 3)
            ? Array.Empty<string>()
            : scored.Where(s => s.Distance == best).Select(s => s.Name).Take(3).ToArray();
    }

    /// <summary>Edits from one name to the other: insertions, deletions, substitutions and swaps of neighbours.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
