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
}
